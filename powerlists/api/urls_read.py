"""Routes registered by this group of resources; included by powerlists/api/urls.py."""
from rest_framework.routers import DefaultRouter

from .views.audit import AuditEventViewSet
from .views.departments import DepartmentViewSet
from .views.exercises import ExerciseViewSet
from .views.stats import StatsViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("departments", DepartmentViewSet, basename="api-department")
router.register("exercises", ExerciseViewSet, basename="api-exercise")
router.register("audit", AuditEventViewSet, basename="api-audit-event")
router.register("stats", StatsViewSet, basename="api-stats")
