"""Who may open a register page: signed in (else the sign-in page), holding one of its permissions (else 403)."""

from functools import wraps

from School.accounts.page_guards import signed_in_with
from School.register.service import Actor


def guarded(permissions, refusal):
    """A view taking (request, actor), open to those holding one of `permissions`; others get 403 with `refusal`."""

    def decorate(view):
        @signed_in_with(lambda user: any(Actor(user).may(permission) for permission in permissions), refusal)
        @wraps(view)
        def page(request, *args, **kwargs):
            return view(request, Actor(request.user), *args, **kwargs)

        return page

    return decorate
