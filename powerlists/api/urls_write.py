"""Resources of this group, registered here; powerlists/api/urls.py puts every group in one router."""
from rest_framework.routers import DefaultRouter

from .views.batches import BatchViewSet
from .views.items import PowerItemViewSet
from .views.transfers import TransferViewSet

router = DefaultRouter(trailing_slash=True)  # its registry is read by urls.py
router.include_root_view = False
router.register("items", PowerItemViewSet, basename="api-item")
router.register("transfers", TransferViewSet, basename="api-transfer")
router.register("batches", BatchViewSet, basename="api-batch")
