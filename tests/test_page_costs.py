"""What each main page costs in queries and template renders: counted, never timed.

A query per row, a second render of a page, or a kept table page that reads
its rows again shows here as a different count, on any machine. The counts
are the same with 5 students as with 120: nothing grows with the rows.
"""

from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.jinja2 import Template as JinjaTemplate
from django.test import Client
from django.test.utils import CaptureQueriesContext

from School.context import tenant_context
from School.models import Student
from School.transfers import protocol
from tests.test_documents import REGISTRAR_PERMS, jpeg, make_user, post_file
from tests.test_student_access import PASSWORD, signed_in

NAIROBI = "nairobi.localhost"


@contextmanager
def counted(alias):
    """Queries on `alias` and top-level template renders (either engine) inside the block."""
    renders = []

    def counting(render):
        def wrapper(self, *args, **kwargs):
            renders.append(self.origin.template_name)
            return render(self, *args, **kwargs)
        return wrapper

    with (
        CaptureQueriesContext(connections[alias]) as queries,
        mock.patch.object(JinjaTemplate, "render", counting(JinjaTemplate.render)),
        mock.patch.object(DjangoTemplate, "render", counting(DjangoTemplate.render)),
    ):
        result = {"queries": queries, "renders": renders}
        yield result
    result["queries"] = len(queries)


def cost(client, path, alias="nairobi"):
    with counted(alias) as seen:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return seen["queries"], seen["renders"]


@pytest.fixture
def staffed(three_schools):
    make_user("nairobi", "registrar", REGISTRAR_PERMS, staff=True)
    make_user("nairobi", "head", ("School.view_student", "School.transfer_student"), staff=True)
    with tenant_context("default"):
        get_user_model().objects.create_superuser("root", "root@x.test", PASSWORD)
    return three_schools


def grow(platform, students, start=0):
    platform.add_students("nairobi", [(f"GROW-{n:04d}", f"Grown{n}", "Row") for n in range(start, start + students)])


def test_the_student_table_costs_the_same_whatever_its_rows(staffed):
    anonymous = Client(HTTP_HOST=NAIROBI)
    # Read and kept: the stamp, then the rows with it, the classes, the school's years (the year
    # selector's, kept with the classes until the next write).
    first = cost(anonymous, "/")
    kept = cost(anonymous, "/")  # the kept page: the stamp only
    assert first == (4, ["School/student_list.html"])
    assert kept == (1, ["School/student_list.html"])
    grow(staffed, 45)  # a write: the kept page is not served again
    assert cost(anonymous, "/") == first and cost(anonymous, "/") == kept
    assert "GROW-0044" in anonymous.get("/").content.decode()
    grow(staffed, 75, start=45)  # 125 students: a count, and pages
    assert cost(anonymous, "/")[0] == first[0] + 1 and cost(anonymous, "/?page=2")[0] <= first[0] + 1
    assert cost(anonymous, "/?page=2") == kept
    # A search: its count too; the classes and years are kept already (4, as before the year selector).
    assert cost(anonymous, "/?q=grown1") == (4, ["School/student_list.html"])


def test_a_signed_in_table_adds_the_session_user_and_permissions_not_rows(staffed):
    registrar = signed_in(NAIROBI, "registrar")
    registrar.get("/")
    before = cost(registrar, "/")
    grow(staffed, 60)
    registrar.get("/")
    assert cost(registrar, "/") == before
    # The kept page's stamp, the session, the user, and the user's and groups' permissions in one
    # statement (School/accounts/permissions.py; the transfer link asks for one).
    assert before == (4, ["School/student_list.html"])


def test_a_students_page_and_its_documents_cost_the_same_with_more_files(staffed):
    registrar = signed_in(NAIROBI, "registrar")
    with tenant_context("nairobi"):
        pk = Student.objects.get(registration_no="NBI-0001").pk
    post_file(registrar, pk, "a.jpg", jpeg(size=(40, 40)), title="first")
    one = cost(registrar, f"/students/{pk}/")
    for n in range(4):
        post_file(registrar, pk, f"r{n}.jpg", jpeg(size=(40, 40)), title=f"report {n}")
    five = cost(registrar, f"/students/{pk}/")
    assert one == five and one[1] == ["School/student_detail.html"]


def test_the_transfers_list_costs_the_same_with_more_transfers(staffed):
    head = signed_in(NAIROBI, "head")
    with tenant_context("nairobi"):
        students = list(Student.objects.order_by("registration_no"))
    nairobi, accra = protocol.school_named("nairobi"), protocol.school_named("accra")
    protocol.send(nairobi, accra, students[:1], protocol.Actor("head", nairobi))
    one = cost(head, "/transfers/", "default")
    protocol.send(nairobi, accra, students[1:4], protocol.Actor("head", nairobi))
    four = cost(head, "/transfers/", "default")
    assert one == four and one[1] == ["transfers/transfers.html"]


def test_the_platform_dashboard_renders_once(staffed):
    operator = Client(HTTP_HOST="localhost")
    operator.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    queries, renders = cost(operator, "/platform/", "default")
    assert renders == ["platform/dashboard.html"]
