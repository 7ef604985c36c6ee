"""Who may open a register page: signed in (else the sign-in page), holding one of its permissions (else 403)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from School.register.service import Actor


def guarded(permissions, refusal):
    """A view taking (request, actor), open to those holding one of `permissions`; others get 403 with `refusal`."""

    def decorate(view):
        @wraps(view)
        def page(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = Actor(request.user)
            if not any(actor.may(permission) for permission in permissions):
                raise PermissionDenied(str(refusal))
            return view(request, actor, *args, **kwargs)

        return page

    return decorate
