"""Routes of the evaluation of devolved powers (评估): evidence, rounds and results; powerlists/api/urls.py
registers every group in one router."""
from .views.evaluation import EvaluationResultViewSet, EvaluationRoundViewSet
from .views.evidence import EvidenceViewSet

REGISTRY = [  # (prefix, viewset, basename), registered in one router by powerlists/api/urls.py
    ("evidence", EvidenceViewSet, "api-evidence"),
    ("evaluation-rounds", EvaluationRoundViewSet, "api-evaluation-round"),
    ("evaluation-results", EvaluationResultViewSet, "api-evaluation-result"),
]
