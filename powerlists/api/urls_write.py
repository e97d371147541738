"""Routes registered by this group of resources; included by powerlists/api/urls.py."""
from rest_framework.routers import DefaultRouter

from .views.batches import BatchViewSet
from .views.items import PowerItemViewSet
from .views.transfers import TransferViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("items", PowerItemViewSet, basename="api-item")
router.register("transfers", TransferViewSet, basename="api-transfer")
router.register("batches", BatchViewSet, basename="api-batch")
