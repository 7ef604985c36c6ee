"""Who may see students: in production, only the school's own signed-in users.

With STUDENT_DATA_REQUIRES_LOGIN (on in the production profile, off in
development so that the first command of the README shows the table), every
view with student data needs a user of this school with the permission to
view students. Users, sessions and tokens are rows of the school's own
database, so "of this school" needs no extra check.

    @student_data                          # 302 to the sign-in page, 403 without permission
    @student_data(sign_in_here=True)       # anonymous visitors get the sign-in page itself
    permission_classes = [..., StudentDataPermission]      # the API
    if await sees_students_async(request): ...             # async views (healthz)
"""

from functools import wraps

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from School.security.tokens import valid_token

VIEW_STUDENTS = "School.view_student"
# Writes need these in every profile, whatever STUDENT_DATA_REQUIRES_LOGIN says about reads.
ADD_STUDENTS = "School.add_student"
CHANGE_STUDENTS = "School.change_student"


def may_see_students(user):
    return bool(user and user.is_authenticated and user.has_perm(VIEW_STUDENTS))


def sees_students(request):
    """May this request see student data (always, in development)?"""
    return not settings.STUDENT_DATA_REQUIRES_LOGIN or may_see_students(request.user)


def student_data(view=None, *, sign_in_here=False):
    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if sees_students(request):
                return view(request, *args, **kwargs)
            if request.user.is_authenticated:
                raise PermissionDenied(_("You may not view this school's students."))
            if sign_in_here:
                from School.security.views import sign_in_page

                return sign_in_page(request)
            return redirect_to_login(request.get_full_path())

        return guarded

    return decorate(view) if view is not None else decorate


def _token_user(request):
    keyword, _, key = request.headers.get("Authorization", "").partition(" ")
    token = valid_token(key.strip()) if keyword == "Token" else None
    return token.user if token else None


async def sees_students_async(request):
    """sees_students for async views: a session or an API token of this school."""
    if not settings.STUDENT_DATA_REQUIRES_LOGIN:
        return True
    user = await request.auser()
    if not user.is_authenticated:
        user = await sync_to_async(_token_user)(request)
    return await sync_to_async(may_see_students)(user)


class StudentDataPermission(BasePermission):
    """The API's reads need the view permission when student data requires login."""

    message = "You may not view this school's students."

    def has_permission(self, request, view):
        return sees_students(request)
