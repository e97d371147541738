"""The client's address, resolved once per request from a configured number of trusted proxies.

``TRUSTED_PROXIES`` (environment variable, default 0) is the number of reverse proxies in front of the
product that each append the address they received the request from to ``X-Forwarded-For`` — 1 behind
the documented nginx (``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``). The hops of a
request are the header's addresses followed by ``REMOTE_ADDR``; the client is the hop just before the
trusted proxies: ``hops[-(TRUSTED_PROXIES + 1)]``. Whatever a client writes into the header itself stays
to the left of that and is never taken. With 0, or when the header has fewer hops than there are
proxies (a request that did not come through them), the address is ``REMOTE_ADDR``.

Used by the sign-in lockout (accounts/lockout.py), the API's rate limits (powerlists/api/throttles.py) and
the request log (powerlists/ops/logs.py), so all three count the same person.

Why not python-ipware (django-axes's resolver): it prefers public addresses and, for a client with a
private address (every government intranet), falls back to other headers in its precedence list; here
the position in the chain alone decides, as DRF's ``NUM_PROXIES`` does.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings

_ATTRIBUTE = "_powerlists_client_ip"
MAX_HOPS = 32  # a longer header is not from our proxies: the address is taken from its end anyway


def trusted_proxies() -> int:
    return max(0, int(getattr(settings, "TRUSTED_PROXIES", 0) or 0))


def _valid(text: str) -> str | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def resolve(meta: dict, proxies: int) -> str:
    """The client's address from a request's META and the number of trusted proxies."""
    remote = _valid(meta.get("REMOTE_ADDR") or "") or "unknown"
    if proxies <= 0:
        return remote
    forwarded = (meta.get("HTTP_X_FORWARDED_FOR") or "")[-4096:]
    hops = [part for part in forwarded.split(",") if part.strip()][-MAX_HOPS:] + [remote]
    if len(hops) <= proxies:
        return remote
    return _valid(hops[-(proxies + 1)]) or remote


def client_ip(request) -> str:
    """The address of the person making ``request`` (cached on the request)."""
    if request is None:
        return "unknown"
    cached = getattr(request, _ATTRIBUTE, None)
    if cached is None:
        meta = getattr(request, "META", {})
        cached = resolve(meta, trusted_proxies())
        try:
            setattr(request, _ATTRIBUTE, cached)
        except AttributeError:
            pass
    return cached
