"""Routes registered by this group of resources; included by powerlists/api/urls.py."""
from rest_framework.routers import DefaultRouter

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
