"""Security headers on every response, beside those of Django's SecurityMiddleware (nosniff,
Referrer-Policy, Cross-Origin-Opener-Policy) and XFrameOptionsMiddleware (DENY).

The product's own pages load only their own files: a Content-Security-Policy without 'unsafe-inline'.
The API's documentation pages (Swagger UI, ReDoc, from the sidecar package) and the admin start
their scripts inline, so they get the same policy with inline scripts and styles allowed; nothing is
ever loaded from another origin.
"""
STRICT = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
          "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
RELAXED = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
RELAXED_PREFIXES = ("/api/docs/", "/api/redoc/", "/admin/")
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        relaxed = request.path.startswith(RELAXED_PREFIXES)
        response.headers.setdefault("Content-Security-Policy", RELAXED if relaxed else STRICT)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
