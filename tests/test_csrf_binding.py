"""Issue 30 (hardening): CSRF secrets are bound to the school; a pair from one school is refused at another."""

import re

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import Client

from School.security.csrf import is_bound, masked_token
from tests.people_helpers import PASSWORD, member


def token_pair(host):
    client = Client(HTTP_HOST=host, enforce_csrf_checks=True)
    page = client.get("/accounts/login/").content.decode()
    return client, client.cookies["csrftoken"].value, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def sign_in(host, cookie, token, username):
    client = Client(HTTP_HOST=host, enforce_csrf_checks=True)
    client.cookies["csrftoken"] = cookie
    return client, client.post("/accounts/login/", {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})


def test_a_nairobi_cookie_and_token_are_refused_at_accra_and_work_at_nairobi(three_schools):
    member("nairobi", "amina", superuser=True)
    member("accra", "kofi", superuser=True)
    _, cookie, token = token_pair("nairobi.localhost")
    refused_client, refused = sign_in("accra.localhost", cookie, token, "kofi")
    assert refused.status_code == 403
    # The refusal brings a secret of Accra's own: the next form works.
    fresh = refused_client.cookies["csrftoken"].value
    assert fresh != cookie and is_bound(fresh, "accra")
    _, accepted = sign_in("nairobi.localhost", cookie, token, "amina")
    assert accepted.status_code == 302


def test_signing_in_rotates_to_a_secret_bound_to_the_school(three_schools):
    member("accra", "kofi", superuser=True)
    client, cookie, token = token_pair("accra.localhost")
    assert is_bound(cookie, "accra") and not is_bound(cookie, "nairobi")
    assert client.post("/accounts/login/", {"username": "kofi", "password": PASSWORD, "csrfmiddlewaretoken": token}).status_code == 302
    rotated = client.cookies["csrftoken"].value
    assert rotated != cookie and is_bound(rotated, "accra")
    page = client.get("/").content.decode()
    form_token = re.search(r'id="sign-out"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": form_token}).status_code == 302


def test_a_page_without_a_form_sets_no_cookie(three_schools):
    response = Client(HTTP_HOST="nairobi.localhost").get("/healthz")
    assert "csrftoken" not in response.cookies


def test_the_api_with_a_session_refuses_another_schools_pair_too(three_schools):
    member("accra", "kofi", superuser=True)
    _, cookie, token = token_pair("nairobi.localhost")
    client, signed = sign_in("accra.localhost", *token_pair("accra.localhost")[1:], "kofi")
    assert signed.status_code == 302
    client.cookies["csrftoken"] = cookie  # Nairobi's pair, with Accra's session
    student = {"registration_no": "X/1", "first_name": "A", "second_name": "B"}
    created = client.post("/api/students/", student, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 403 and "another school" in created.json()["detail"]
    own = client.get("/accounts/login/")  # a form of Accra's own: a bound secret and token
    fresh = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', own.content.decode()).group(1)
    created = client.post("/api/students/", student, content_type="application/json", HTTP_X_CSRFTOKEN=fresh)
    assert created.status_code == 201, created.content


def sign_out_token(page):
    return re.search(r'id="sign-out"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
                     page.content.decode()).group(1)


@pytest.mark.parametrize("secret", ["0" * 32, "Z" * 32, "z" * 32, CSRF_ALLOWED_CHARS[:32], CSRF_ALLOWED_CHARS[-32:]])
def test_a_pages_token_is_the_cookies_secret_under_a_new_mask_each_time(rf, secret):
    # The lowest and highest characters: every sum of mask and secret, none lost or carried over.
    request = rf.get("/")
    request.META["CSRF_COOKIE"] = secret
    tokens = {masked_token(request) for _ in range(50)}
    assert len(tokens) == 50
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
    assert all(len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS) for token in tokens)


def test_a_cookie_the_browser_has_is_not_sent_again_and_its_forms_still_work(three_schools):
    member("accra", "kofi", superuser=True)
    client, cookie, token = token_pair("accra.localhost")
    assert client.post("/accounts/login/", {"username": "kofi", "password": PASSWORD, "csrfmiddlewaretoken": token}).status_code == 302
    held = client.cookies["csrftoken"].value  # the rotated, bound secret the browser now holds
    page = client.get("/")
    assert "csrftoken" not in page.cookies and "Cookie" in page["Vary"]
    form_token = sign_out_token(page)
    assert form_token != sign_out_token(client.get("/"))  # masked anew on every page
    assert client.cookies["csrftoken"].value == held
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": form_token}).status_code == 302
    # A browser that lost the cookie is given one with the page's form.
    signed_in_again = sign_in("accra.localhost", *token_pair("accra.localhost")[1:], "kofi")[0]
    del signed_in_again.cookies["csrftoken"]
    given = signed_in_again.get("/").cookies["csrftoken"].value
    assert is_bound(given, "accra")
