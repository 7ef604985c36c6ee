"""Staff pages behind one permission: the sign-in page for visitors, 403 for those without it."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

# No new permission (and so no migration): the model permissions Django already
# makes, given to the School admins group (School/accounts/groups.py).
PROMOTE = "school_year.change_schoolyear"
CONFIRM_LADDER = "school_year.change_grade"


def may(user, permission):
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm(permission))


def staff_with(permission, refusal):
    """Only signed-in staff holding `permission`; others signed in get 403 with `refusal` (a lazy text)."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not may(request.user, permission):
                raise PermissionDenied(str(refusal))
            return view(request, *args, **kwargs)

        return guarded

    return decorate
