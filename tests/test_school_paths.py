"""Schools by path (issue 37): SCHOOL_PATH_PREFIX "/s/" serves http://HOST/s/<school>/ on the platform's hosts.

The same isolation as with hosts, proved the same hostile way: a crawl that
follows every link stays under the school's path, a session or a token of one
school's path is refused under another's, and odd paths (`..`, encoded
slashes, mixed case) reach no school they do not name exactly.
"""

import re

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from School.context import tenant_context
from School.models import Student
from tests.accounts_helpers import link_in, smtp  # noqa: F401  (fixture)
from tests.test_links import crawl

PASSWORD = "correct-horse-battery"
NAIROBI = "/s/nairobi/"


@pytest.fixture
def by_path(three_schools, settings):
    settings.SCHOOL_PATH_PREFIX = "/s/"
    for school in ("nairobi", "accra"):
        with tenant_context(school):
            get_user_model().objects.create_superuser("registrar", f"registrar@{school}.test", PASSWORD)
    return three_schools


def signed_in(path=NAIROBI, host="localhost"):
    client = Client(HTTP_HOST=host)
    response = client.post(f"{path}admin/login/", {"username": "registrar", "password": PASSWORD, "next": f"{path}admin/"})
    assert response.status_code == 302 and response["Location"] == f"{path}admin/", response
    return client


def test_a_school_is_served_under_its_path_on_the_platforms_host_and_at_its_own_host(by_path):
    page = Client(HTTP_HOST="localhost").get(NAIROBI).content.decode()
    assert "Nairobi School" in page and "NBI-0001" in page and "DEF-0" not in page
    hrefs = re.findall(r'(?:href|action|src)="(/[^"]*)"', page)
    assert hrefs and all(href.startswith((NAIROBI, "/static/")) for href in hrefs), hrefs
    own_host = Client(HTTP_HOST="nairobi.localhost").get("/").content.decode()
    assert "NBI-0001" in own_host and NAIROBI not in own_host  # host mode: no prefix
    assert "DEF-0" in Client(HTTP_HOST="localhost").get("/").content.decode()  # the platform's root is still default
    # The path mode is the platform's hosts' only: a school's own host has no /s/.
    assert Client(HTTP_HOST="nairobi.localhost").get("/s/accra/").status_code == 404


@pytest.mark.parametrize("path", [
    "/s/nowhere/", "/s/Nairobi/", "/s/NAIROBI/students/", "/s/..%2Faccra/", "/s/%2e%2e/accra/", "/s/nairobi%2F..%2Faccra/",
    "/s/nairobi/../accra/", "/s//accra/", "/s/accra./", "/s/ accra/", "/s/up/",
])
def test_odd_paths_reach_no_school_they_do_not_name_exactly(by_path, path):
    client = signed_in("/s/accra/")
    response = client.get(path)
    body = response.content.decode()
    assert response.status_code == 404, (path, response.status_code)
    assert "ACC-0" not in body and "NBI-0" not in body and "DEF-0" not in body


def test_an_unknown_school_touches_no_schools_database(by_path):
    from django.db import connections

    from tests.conftest import close_school_connections

    close_school_connections()
    assert Client(HTTP_HOST="localhost").get("/s/nowhere/").status_code == 404
    assert Client(HTTP_HOST="localhost").get("/s/No-Such/").status_code == 404
    assert [alias for alias in ("nairobi", "accra") if alias in connections and connections[alias].connection is not None] == []


def test_without_the_slash_the_path_is_redirected_to_the_school(by_path):
    response = Client(HTTP_HOST="localhost").get("/s/nairobi", {"q": "x"})
    assert response.status_code == 301 and response["Location"] == "/s/nairobi/?q=x"


def test_every_link_of_a_school_by_path_stays_under_its_path(by_path):
    client = signed_in()
    visited = crawl(client, [NAIROBI], "Nairobi School", ["Accra Academy", "ACC-0", "Default School", "DEF-0"],
                    host="localhost", within=NAIROBI)
    with tenant_context("nairobi"):
        first = Student.objects.order_by("registration_no").first()
    assert f"{NAIROBI}students/{first.pk}/" in visited and f"{NAIROBI}admin/School/student/" in {u.split("?")[0] for u in visited}


def test_cookies_are_scoped_to_the_schools_path_and_a_session_is_worthless_under_another(by_path, live_server_url):
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://localhost:{port}"
    browser = requests.Session()
    browser.get(f"{base}/admin/login/")  # a root cookie of the platform's own school first
    page = browser.get(f"{base}{NAIROBI}admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    signed = browser.post(f"{base}{NAIROBI}admin/login/", allow_redirects=False,
                          data={"csrfmiddlewaretoken": token, "username": "registrar", "password": PASSWORD, "next": f"{NAIROBI}admin/"},
                          headers={"Referer": f"{base}{NAIROBI}admin/login/"})
    assert signed.status_code == 302 and signed.headers["Location"] == f"{NAIROBI}admin/"
    paths = {cookie.name: cookie.path for cookie in browser.cookies if cookie.path != "/"}
    assert paths == {"sessionid": "/s/nairobi/", "csrftoken": "/s/nairobi/"}
    assert browser.get(f"{base}{NAIROBI}admin/", allow_redirects=False).status_code == 200
    # The browser does not send it to Accra's path; replayed by hand, Accra does not know it.
    assert browser.get(f"{base}/s/accra/admin/", allow_redirects=False).status_code == 302
    session = next(cookie.value for cookie in browser.cookies if cookie.name == "sessionid" and cookie.path == NAIROBI)
    replay = requests.get(f"{base}/s/accra/admin/", cookies={"sessionid": session}, allow_redirects=False)
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/s/accra/admin/login/")
    assert requests.get(f"{base}/admin/", cookies={"sessionid": session}, allow_redirects=False).status_code == 302


def test_an_api_token_of_one_schools_path_is_refused_under_anothers_and_the_schema_names_the_path(by_path):
    made = Client(HTTP_HOST="localhost").post(
        f"{NAIROBI}api/tokens/", {"username": "registrar", "password": PASSWORD, "name": "script"}, content_type="application/json")
    assert made.status_code == 201, made.content
    key = made.json()["key"]
    nairobi = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {key}").get(f"{NAIROBI}api/students/")
    assert nairobi.status_code == 200 and "NBI-0001" in nairobi.content.decode()
    assert Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {key}").get("/s/accra/api/students/").status_code == 401
    root = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {key}").get(f"{NAIROBI}api/", HTTP_ACCEPT="application/json")
    assert root.json()["students"] == "http://localhost/s/nairobi/api/students/"  # the API's own links carry the path
    schema = Client(HTTP_HOST="localhost").get(f"{NAIROBI}api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert '"url": "/s/nairobi"' in schema or '"url":"/s/nairobi"' in schema or "url: /s/nairobi" in schema
    plain = Client(HTTP_HOST="nairobi.localhost").get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/s/nairobi" not in plain


def test_a_reset_link_asked_under_a_path_carries_it_and_opens_under_no_other(by_path, smtp):
    with tenant_context("accra"):
        get_user_model().objects.create_user("ana", "ana@school.test", PASSWORD)  # the same address at both schools
    with tenant_context("nairobi"):
        get_user_model().objects.create_user("ana", "ana@school.test", PASSWORD)
    sent = Client(HTTP_HOST="localhost").post(f"{NAIROBI}accounts/password-reset/", {"email": "ana@school.test"})
    assert sent.status_code == 302 and sent["Location"] == f"{NAIROBI}accounts/password-reset/sent/"
    url = link_in(smtp.wait_for(1))
    assert re.fullmatch(r"https?://localhost(:\d+)?/s/nairobi/accounts/reset/[^/]+/[^/]+/", url), url
    path = "/" + url.split("/", 3)[3]
    assert Client(HTTP_HOST="localhost").get(path.replace(NAIROBI, "/s/accra/"), follow=True).status_code == 400
    assert Client(HTTP_HOST="nairobi.localhost").get(path[len(NAIROBI) - 1:], follow=True).status_code == 400
    opened = Client(HTTP_HOST="localhost").get(path, follow=True)
    assert opened.status_code == 200 and 'id="set-password"' in opened.content.decode()


def test_the_branding_is_served_under_the_path_too(by_path):
    import io

    from PIL import Image

    from School.branding import looks
    from School.branding.service import set_branding

    looks.forget()
    out = io.BytesIO()
    Image.new("RGB", (300, 100), (26, 94, 32)).save(out, "PNG")
    set_branding("nairobi", logo=("image/png", out.getvalue()), colours=("#1a5e20", "#ffffff"))
    by_host = Client(HTTP_HOST="nairobi.localhost").get("/").content.decode()
    logo = re.search(r'<img src="(/branding/logo/[0-9a-f]+\.png)"', by_host).group(1)
    page = Client(HTTP_HOST="localhost").get(NAIROBI).content.decode()
    assert f'<img src="/s/nairobi{logo}"' in page and 'href="/s/nairobi/branding/style/' in page
    assert Client(HTTP_HOST="localhost").get(f"/s/nairobi{logo}")["Content-Type"] == "image/png"
    assert Client(HTTP_HOST="localhost").get(f"/s/accra{logo}").status_code == 404
    # The platform's own look (the default school's) on its root, never under a school's path; and the reverse.
    Image.new("RGB", (300, 100), (120, 20, 20)).save(out := io.BytesIO(), "PNG")
    set_branding("default", logo=("image/png", out.getvalue()))
    root = Client(HTTP_HOST="localhost").get("/").content.decode()
    platform_logo = re.search(r'<img src="(/branding/logo/[0-9a-f]+\.png)"', root).group(1)
    assert platform_logo != logo and logo not in root
    assert platform_logo not in Client(HTTP_HOST="localhost").get(NAIROBI).content.decode()
    looks.forget()


def test_path_mode_under_asgi_too(by_path):
    import asyncio

    from django.core.asgi import get_asgi_application

    from tests.test_concurrency import asgi_get

    app = get_asgi_application()
    status, body = asyncio.run(asgi_get(app, "localhost", NAIROBI))
    assert status == 200 and "NBI-0001" in body and 'href="/s/nairobi/' in body and "ACC-0" not in body
    assert asyncio.run(asgi_get(app, "localhost", "/s/Nairobi/"))[0] == 404
    assert asyncio.run(asgi_get(app, "localhost", "/s/accra"))[0] == 301


def test_an_invitation_sent_under_a_path_links_there(by_path, smtp):
    admin = signed_in()
    sent = admin.post(f"{NAIROBI}admin/accounts/invitation/add/", {"email": "baraka@nairobi.test"})
    assert sent.status_code == 302 and sent["Location"].startswith(f"{NAIROBI}admin/")
    url = link_in(smtp.wait_for(1))
    assert re.fullmatch(r"https?://localhost(:\d+)?/s/nairobi/accounts/invitation/[^/]+/", url), url
    opened = Client(HTTP_HOST="localhost").get("/" + url.split("/", 3)[3])
    assert opened.status_code == 200 and "Nairobi School" in opened.content.decode()
