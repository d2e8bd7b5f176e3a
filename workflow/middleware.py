from .audit import audit_context


class AuditContextMiddleware:
    """Makes the request's client address and user available to audit events written by services.

    Services take ids and a user, never a request (STYLE habit 8); the audit trail still needs
    the IP, so it travels in a context variable for the length of the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(ip=request.META.get("REMOTE_ADDR", ""), user=getattr(request, "user", None)):
            return self.get_response(request)
