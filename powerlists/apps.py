from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PowerlistsConfig(AppConfig):
    name = "powerlists"
    verbose_name = _("权力清单")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from . import checks  # noqa: F401 - registers the product's system checks
        from .audit_chain import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="powerlists_sha256")
