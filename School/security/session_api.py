"""The API with a session: DRF checks CSRF with Django's own class (its views are csrf_exempt), so the school too."""

from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from School.security.csrf import REASON_OTHER_SCHOOL, SchoolCsrfViewMiddleware, is_bound, refuse_with_new_secret

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class SchoolSessionAuthentication(SessionAuthentication):
    def enforce_csrf(self, request):
        super().enforce_csrf(request)
        if request.method in SAFE_METHODS:
            return
        school = getattr(request._request, "school", None)
        secret = SchoolCsrfViewMiddleware(lambda request: None)._get_secret(request._request)
        if not is_bound(secret, school.name if school is not None else ""):
            refuse_with_new_secret(request._request)
            raise exceptions.PermissionDenied(f"CSRF Failed: {REASON_OTHER_SCHOOL}")


class SchoolSessionScheme(SessionScheme):
    """The OpenAPI schema describes it as DRF's own session authentication (a cookie)."""

    target_class = "School.security.session_api.SchoolSessionAuthentication"
