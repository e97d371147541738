import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerlists.settings")
application = get_wsgi_application()

# The API's query-parameter contract is read from the OpenAPI schema (about half a second): build it
# here, once, so that no request waits for it — under gunicorn (preload_app) every worker inherits it.
from powerlists.api.query_contract import contract  # noqa: E402

contract()
