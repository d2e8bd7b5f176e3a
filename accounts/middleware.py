import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url

SESSION_STARTED_KEY = "jxt_session_started"

# Paths anyone may open: login, the public disclosure pages, static files, the API schema and
# the token endpoint (which authenticates by itself).
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/public/",
    "/static/",
    "/api/schema/",
    "/api/v1/auth/token/",
    "/favicon.ico",
)


# The REST API answers anonymous calls itself, with a 401/403 JSON body instead of a redirect.
API_PREFIX = "/api/v1/"


class SessionLifetimeMiddleware:
    """Ends a session 8 hours after login however active it is (idle expiry is SESSION_COOKIE_AGE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED_KEY, time.time())
            if time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)


class LoginRequiredMiddleware:
    """Every URL needs a login except the public ones above.

    API requests authenticate per view (token or session), so anonymous API calls get DRF's
    401/403 JSON instead of a redirect to the HTML login page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            request.user.is_authenticated
            or path.startswith(PUBLIC_PREFIXES)
            or path.startswith(API_PREFIX)
        ):
            return self.get_response(request)
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
