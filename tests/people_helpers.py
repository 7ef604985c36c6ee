"""People of a school for the access tests: members of the standard groups, signed in at the school's own host."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from School.accounts.groups import BY_NAME
from School.context import tenant_context

PASSWORD = "correct-horse-battery"


def member(school, username, group=None, superuser=False, staff=None):
    """A user of `school` in `group` (staff as the group says unless told), or a superuser."""
    with tenant_context(school):
        users = get_user_model().objects
        if superuser:
            return users.create_superuser(username, f"{username}@{school}.test", PASSWORD)
        user = users.create_user(username, f"{username}@{school}.test", PASSWORD, is_staff=bool(group and BY_NAME[group].staff) if staff is None else staff)
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user


def signed_in(host, username):
    """A client signed in through the school's own sign-in page (Client.login() knows no school)."""
    client = Client(HTTP_HOST=host)
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[-1500:]
    return client


def user_row(school, username):
    with tenant_context(school):
        return get_user_model().objects.get(username=username)
