"""Resources of this group, registered here; powerlists/api/urls.py puts every group in one router."""
from rest_framework.routers import DefaultRouter

from .views.audit import AuditEventViewSet
from .views.departments import DepartmentViewSet
from .views.exercises import ExerciseViewSet
from .views.stats import StatsViewSet

router = DefaultRouter(trailing_slash=True)  # its registry is read by urls.py
router.include_root_view = False
router.register("departments", DepartmentViewSet, basename="api-department")
router.register("exercises", ExerciseViewSet, basename="api-exercise")
router.register("audit", AuditEventViewSet, basename="api-audit-event")
router.register("stats", StatsViewSet, basename="api-stats")
