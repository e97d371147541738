"""Where a form sends its user back to: the ``next`` it posted, if it stays on this site."""
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default
