"""Suspending, resuming and re-hosting a school take effect at once."""

import pytest
from django.test import Client

from School.operations.provisioning import SchoolError, add_host, remove_host, set_suspended


def get(host, path="/"):
    return Client(HTTP_HOST=host).get(path)


def test_suspended_school_answers_temporarily_unavailable_and_keeps_its_data(three_schools):
    set_suspended("accra", True)
    response = get("accra.localhost")
    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.content.decode()
    assert "Temporarily unavailable" in body and "ACC-" not in body
    assert get("accra.localhost", "/admin/login/").status_code == 503
    assert get("nairobi.localhost").status_code == 200  # only that school
    set_suspended("accra", False)
    assert "ACC-0000" in get("accra.localhost").content.decode()


def test_hosts_can_be_added_and_removed(three_schools):
    add_host("nairobi", "Nairobi.Example.ORG")
    assert "NBI-" in get("nairobi.example.org").content.decode()
    remove_host("nairobi", "nairobi.school.local")
    assert get("nairobi.school.local").status_code == 404
    assert get("nairobi.localhost").status_code == 200


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: add_host("nairobi", "accra.localhost"), "host 'accra.localhost' already belongs to school 'accra'"),
        (lambda: add_host("lagos", "lagos.localhost"), "unknown school 'lagos'"),
        (lambda: add_host("nairobi", "http://x"), "bad host"),
        (lambda: remove_host("nairobi", "accra.localhost"), "host 'accra.localhost' does not belong to school 'nairobi'"),
        (lambda: set_suspended("lagos", True), "unknown school 'lagos'"),
    ],
)
def test_lifecycle_errors_say_what_is_wrong(three_schools, call, message):
    with pytest.raises(SchoolError, match=message):
        call()
    assert get("accra.localhost").status_code == 200
