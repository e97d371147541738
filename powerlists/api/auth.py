"""Bearer tokens: django-rest-knox stores only a hash of each token and honours its expiry."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """``Authorization: Bearer <token>``; tokens come from ``manage.py createtoken`` or the web UI."""


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "powerlists.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A token from `manage.py createtoken USERNAME`."}
