"""Every link of a school's pages leads to a page of that school; no URL name is defined twice.

The crawl signs in as a staff user and follows links the way a registrar
clicks: the student table (its sort, filter and page links), a student's
record, import, export and the admin. A link that reverses to the wrong view
(the table's IDs once pointed at the JSON API) fails here.
"""

import re
from collections import Counter, defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from School.context import tenant_context
from School.models import Student

HOST = "nairobi.localhost"
MAX_REQUESTS = 1500  # a bound, far above what the pages link to


class Links(HTMLParser):
    """The <a href> targets of a page, and the URLs its GET forms can submit."""

    def __init__(self):
        super().__init__()
        self.links, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form" and attrs.get("method", "get").lower() == "get":
            self._form = {"action": attrs.get("action", ""), "fields": {}, "choices": defaultdict(list)}
        elif self._form is not None and tag == "input" and attrs.get("name") and attrs.get("type") != "submit":
            self._form["fields"][attrs["name"]] = attrs.get("value", "")
        elif self._form is not None and tag == "select":
            self._select = attrs.get("name")
        elif self._form is not None and tag == "option" and self._select:
            self._form["choices"][self._select].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            # Each choice of each menu, the other fields as the page filled them.
            base = dict(self._form["fields"])
            for name, values in self._form["choices"].items():
                for value in values:
                    self.links.append(f"{self._form['action']}?{urlencode({**base, name: value})}")
            self._form = None


def shape(path, query):
    """Pages of one shape link alike: ids and parameter values are left out."""
    return re.sub(r"/\d+/", "/<id>/", path), frozenset(key for key, _value in parse_qsl(query))


def visit_key(url):
    """Our pages are requested at every distinct URL; Django's admin once per shape
    (its links carry the list's filters, which would make every page new)."""
    split = urlsplit(url)
    return shape(split.path, split.query) if "/admin/" in split.path else url


def crawl(client, start_paths, school_name, other_markers, host=HOST, within="/"):
    """Request every link found; read the links of each page shape once. Returns the URLs visited.

    Every link and redirect on `host` must stay `within` that path (a school's /s/<name>/ in path mode),
    the platform's static files aside."""
    queue, seen, visited, expanded = list(start_paths), set(), set(), set()
    while queue:
        url = queue.pop(0)
        if visit_key(url) in seen:
            continue
        seen.add(visit_key(url))
        visited.add(url)
        assert len(visited) <= MAX_REQUESTS, "the crawl does not end"
        response = client.get(url)
        assert response.status_code in (200, 302), f"{url}: {response.status_code}"
        if response.status_code == 302:
            target = urlsplit(urljoin(f"http://{host}{url}", response["Location"]))
            assert target.hostname == host, f"{url} redirects away from the school: {response['Location']}"
            assert target.path.startswith(within), f"{url} redirects out of {within}: {response['Location']}"
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
            continue
        if "attachment" in response.get("Content-Disposition", ""):
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert not any(marker.encode() in body for marker in other_markers), url
            continue
        assert response["Content-Type"].startswith("text/html"), f"{url} is not a page: {response['Content-Type']}"
        body = response.content.decode()
        assert school_name in body, f"{url} does not show {school_name}"
        assert not any(marker in body for marker in other_markers), f"{url} shows another school's data"
        split = urlsplit(url)
        if shape(split.path, split.query) in expanded:
            continue
        expanded.add(shape(split.path, split.query))
        parser = Links()
        parser.feed(body)
        for href in parser.links:
            target = urlsplit(urljoin(f"http://{host}{url}", href))
            if target.hostname != host or "logout" in target.path:
                continue  # another site, or the sign-out (a POST)
            assert target.path.startswith((within, "/static/")), f"{url} links out of {within}: {href}"
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return visited


def test_every_link_of_a_school_leads_to_a_page_of_that_school(three_schools):
    grades = ["Form 1", "Form 2", "Form 3"]
    statuses = Student.Status.values
    with tenant_context("nairobi"):
        # More than a page of students, in several classes and statuses (more
        # than a page even without the transferred ones, which the table hides).
        Student.objects.bulk_create(
            Student(
                registration_no=f"NBI-X{n:03d}", first_name=f"Pupil{n}", second_name="Kamau",
                grade=grades[n % 3], status=statuses[n % len(statuses)],
            )
            for n in range(80)
        )
        get_user_model().objects.create_superuser("registrar", password="pw", is_staff=True)
    client = Client(HTTP_HOST=HOST)
    assert client.post("/admin/login/", {"username": "registrar", "password": "pw"}).status_code == 302
    visited = crawl(client, ["/"], "Nairobi School", ["Accra Academy", "ACC-0", "Default School", "DEF-0"])

    paths = {urlsplit(url).path for url in visited}
    with tenant_context("nairobi"):
        first = Student.objects.order_by("registration_no").first()
    # The crawl reached every kind of page, through the links themselves.
    assert f"/students/{first.pk}/" in paths
    assert {"/students/import/", "/students/export.csv", "/admin/", "/admin/School/student/"} <= paths
    assert f"/admin/School/student/{first.pk}/change/" in paths
    assert any("page=2" in url for url in visited)
    assert any("grade=Form+2" in url for url in visited) and any("status=graduated" in url for url in visited)
    assert any("sort=first_name" in url for url in visited) and any("sort=-" in url for url in visited)
    assert not any(path.startswith("/api/") for path in paths)  # no page links to the JSON API


def test_the_table_links_each_id_to_the_staff_page(three_schools):
    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="NBI-0002")
    body = Client(HTTP_HOST=HOST).get("/").content.decode()
    assert f'<a href="/students/{student.pk}/">{student.pk}</a>' in body


def named_patterns(resolver, namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def test_no_url_name_is_defined_for_two_views():
    views = defaultdict(set)
    for name, callback in named_patterns(get_resolver()):
        views[name].add(callback)
    # The API's format-suffix variants share a name and a view: that is fine.
    clashes = {name: callbacks for name, callbacks in views.items() if len(callbacks) > 1}
    assert not clashes
    names = Counter(name for name, _callback in named_patterns(get_resolver()))
    assert names["student-detail"] == 1 and names["api:student-detail"] >= 1
