"""Routes of the evaluation of devolved powers (评估): evidence, rounds and results; included by
powerlists/api/urls.py."""
from rest_framework.routers import DefaultRouter

from .views.evaluation import EvaluationResultViewSet, EvaluationRoundViewSet
from .views.evidence import EvidenceViewSet

router = DefaultRouter(trailing_slash=True)  # its registry is read by urls.py
router.include_root_view = False
router.register("evidence", EvidenceViewSet, basename="api-evidence")
router.register("evaluation-rounds", EvaluationRoundViewSet, basename="api-evaluation-round")
router.register("evaluation-results", EvaluationResultViewSet, basename="api-evaluation-result")
