"""Resources of this group, registered here; powerlists/api/urls.py puts every group in one router."""
from .views.audit import AuditEventViewSet
from .views.departments import DepartmentViewSet
from .views.editions import LawViewSet
from .views.exercises import ExerciseViewSet
from .views.stats import StatsViewSet

REGISTRY = [  # (prefix, viewset, basename), registered in one router by powerlists/api/urls.py
    ("departments", DepartmentViewSet, "api-department"),
    ("exercises", ExerciseViewSet, "api-exercise"),
    ("audit", AuditEventViewSet, "api-audit-event"),
    ("stats", StatsViewSet, "api-stats"),
    ("laws", LawViewSet, "api-law"),
]
