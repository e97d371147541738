"""Resources of this group, registered here; powerlists/api/urls.py puts every group in one router."""
from .views.batches import BatchViewSet
from .views.items import PowerItemViewSet
from .views.transfers import TransferViewSet

REGISTRY = [  # (prefix, viewset, basename), registered in one router by powerlists/api/urls.py
    ("items", PowerItemViewSet, "api-item"),
    ("transfers", TransferViewSet, "api-transfer"),
    ("batches", BatchViewSet, "api-batch"),
]
