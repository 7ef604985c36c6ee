"""Staff pages behind one permission: the sign-in page for visitors, 403 for those without it."""

from School.accounts.page_guards import signed_in_with

# No new permission (and so no migration): the model permissions Django already
# makes, given to the School admins group (School/accounts/groups.py).
PROMOTE = "school_year.change_schoolyear"
CONFIRM_LADDER = "school_year.change_grade"


def may(user, permission):
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm(permission))


def staff_with(permission, refusal):
    """Only signed-in staff holding `permission`; others signed in get 403 with `refusal` (a lazy text)."""
    return signed_in_with(lambda user: may(user, permission), refusal)
