"""Staff pages behind a check of the signed-in user: the sign-in page for visitors, 403 for those it refuses."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def signed_in_with(allowed, refusal):
    """Only signed-in users for whom allowed(user) holds; others signed in get 403 with `refusal` (a lazy text)."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise PermissionDenied(str(refusal))
            return view(request, *args, **kwargs)

        return guarded

    return decorate
