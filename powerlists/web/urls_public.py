"""Pages of this part of the site; included by powerlists/web/urls.py."""

urlpatterns = []
