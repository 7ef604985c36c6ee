"""The student table page: search, sorting, pagination, count and empty state."""

import re

from django.test import Client

from School.context import tenant_context
from School.models import Student
from tests.student_rows import give_guardian


def rows(response):
    """The registration numbers shown, in order (third cell: First, Last, Registration Number)."""
    body = response.content.decode()
    return [re.findall(r"<td>([^<]*)</td>", row)[2] for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]]


def get(host="nairobi.localhost", **params):
    return Client(HTTP_HOST=host).get("/", params)


def test_search_by_name_or_registration_number(three_schools):
    assert rows(get(q="NBIfirst3")) == ["NBI-0003"]
    assert rows(get(q="nbilast4")) == ["NBI-0004"]  # case-insensitive
    assert rows(get(q="NBI-0002")) == ["NBI-0002"]
    assert "1 student matching" in get(q="NBI-0002").content.decode()


def test_sorting_by_column_both_ways(three_schools):
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="NBI-9999", first_name="Aaron", second_name="Zulu")
    assert rows(get(sort="first_name"))[0] == "NBI-9999"
    assert rows(get(sort="-second_name"))[0] == "NBI-9999"
    assert rows(get(sort="-registration_no"))[0] == "NBI-9999"
    assert rows(get(sort="registration_no"))[0] == "NBI-0000"
    # An unknown sort column falls back to registration number, no error.
    assert rows(get(sort="password"))[0] == "NBI-0000"


def test_pagination_fifty_a_page_without_repeats(three_schools):
    three_schools.add_students("accra", [(f"P-{n:03d}", "Same", "Name") for n in range(120)])
    seen = []
    for number in (1, 2, 3):
        page = get("accra.localhost", q="P-", sort="second_name", page=number)
        seen += rows(page)
    assert len(seen) == 120 and len(set(seen)) == 120
    first = get("accra.localhost", q="P-").content.decode()
    assert "Page 1 of 3" in first and "120 students matching" in first
    # Out-of-range pages show the last page instead of an error.
    assert "Page 3 of 3" in get("accra.localhost", q="P-", page=99).content.decode()


def test_empty_school_shows_an_empty_state(platform):
    platform.add_school("kisumu", ["kisumu.localhost"], "Kisumu High")
    body = get("kisumu.localhost").content.decode()
    assert "No students are recorded for Kisumu High yet." in body
    assert "0 students" in body


def test_search_with_no_match_says_so(three_schools):
    assert "No student matches" in get(q="nobody-by-that-name").content.decode()


def test_stylesheet_is_served_by_the_project(three_schools):
    body = get().content.decode()
    assert 'href="/static/School/app.css"' in body
    assert "http://" not in body and "https://" not in body  # nothing from a CDN
    response = Client(HTTP_HOST="nairobi.localhost").get("/static/School/app.css")
    assert response.status_code == 200
    assert b"--brand" in b"".join(response.streaming_content)


def test_filter_by_class_and_status_with_search_kept_in_links(three_schools):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no__in=["NBI-0001", "NBI-0002"]).update(grade="Form 2")
        Student.objects.filter(registration_no="NBI-0002").update(status="graduated")
    assert rows(get(grade="Form 2")) == ["NBI-0001", "NBI-0002"]
    assert rows(get(grade="Form 2", status="graduated")) == ["NBI-0002"]
    assert rows(get(status="graduated", sort="-registration_no")) == ["NBI-0002"]
    body = get(grade="Form 2", status="active").content.decode()
    assert '<option value="Form 2" selected>' in body
    assert "grade=Form+2&amp;status=active&amp;sort=-registration_no" in body  # header link keeps filters
    assert len(rows(get(status="not-a-status"))) == 5  # an unknown status filters nothing


def sign_in(host, username, password):
    """A client signed in through the school's own login page (Client.login() knows no school)."""
    client = Client(HTTP_HOST=host)
    client.post("/admin/login/", {"username": username, "password": password})
    return client


def test_student_detail_needs_a_staff_sign_in_at_that_school(three_schools):
    from django.contrib.auth import get_user_model

    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="NBI-0003")
        student.save()
        give_guardian("nairobi", "NBI-0003", "Mama", "+254 700 000003")
        get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    path = f"/students/{student.pk}/"
    anonymous = Client(HTTP_HOST="nairobi.localhost").get(path)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    staff = sign_in("nairobi.localhost", "clerk", "pw")
    body = staff.get(path).content.decode()
    assert "+254 700 000003" in body and "NBI-0003" in body
    # The same staff user means nothing at another school.
    assert sign_in("accra.localhost", "clerk", "pw").get("/admin/").status_code == 302
    assert Client(HTTP_HOST="nairobi.localhost").get("/students/999999/").status_code == 302
    assert staff.get("/students/999999/").status_code == 404


def test_student_detail_with_an_impossible_id_is_404(three_schools):
    from django.contrib.auth import get_user_model

    with tenant_context("nairobi"):
        get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    staff = sign_in("nairobi.localhost", "clerk", "pw")
    for bad in ("not-an-id", "65a1b2c3d4e5f6a7b8c9d0e1", "-1"):
        assert staff.get(f"/students/{bad}/").status_code == 404


def test_names_are_escaped_on_the_student_table(three_schools):
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="NBI-X1", first_name="<script>alert(1)</script>", second_name="O'Brien & Co")
    body = get(q="NBI-X1").content.decode()
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "O&#x27;Brien &amp; Co" in body
    body = get(q="<script>").content.decode()  # the search text, echoed by the template
    assert "“&lt;script&gt;”" in body and 'value="&lt;script&gt;"' in body


def test_search_finds_names_and_numbers_starting_with_the_text(three_schools):
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="K/77", first_name="Wanjiru", second_name="Ng'ang'a")
    assert rows(get(q="wanj")) == ["K/77"]
    assert rows(get(q="NG'")) == ["K/77"]
    assert rows(get(q="k/7")) == ["K/77"]
    assert rows(get(q="anjiru")) == []  # inside a word: not a match (documented in the README)


def test_class_list_follows_writes_of_other_processes_at_once(three_schools, run_cli, tmp_path):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-0001").update(grade="Form 1")
    assert '<option value="Form 1">' in get().content.decode()
    assert "Form 9" not in get().content.decode()  # the list is now cached in this process
    path = tmp_path / "new.csv"
    path.write_text("registration_no,first_name,second_name,grade\nK/9,Amani,Kamau,Form 9\n")
    assert run_cli("nairobi", "import_students", str(path)).returncode == 0
    # No waiting: every page reads the students' stamp, which the import changed.
    assert '<option value="Form 9">' in get().content.decode()
    assert run_cli("nairobi", "shell", "-c", "from School.models import Student; Student.objects.filter(grade='Form 9').delete()").returncode == 0
    assert "Form 9" not in get().content.decode()
    with tenant_context("nairobi"):
        student = Student.objects.get(registration_no="NBI-0002")
        student.grade = "Form 4"
        student.save()
    assert '<option value="Form 4">' in get().content.decode()


def test_page_counts_with_and_without_a_count_query(three_schools):
    # Up to a page of matches is counted from the rows; more by the database.
    three_schools.add_students("accra", [(f"P-{n:03d}", "Same", "Name") for n in range(100)])
    three_schools.add_students("accra", [(f"Q-{n:03d}", "Other", "Name") for n in range(50)])
    exactly_a_page = get("accra.localhost", q="Q-").content.decode()
    assert "50 students matching" in exactly_a_page and "Page 1 of" not in exactly_a_page
    assert "10 students matching" in get("accra.localhost", q="P-04").content.decode()
    first = get("accra.localhost", q="P-").content.decode()
    assert "100 students matching" in first and "Page 1 of 2" in first
    last = get("accra.localhost", q="P-", page=2)
    assert "Page 2 of 2" in last.content.decode() and "100 students matching" in last.content.decode()
    assert rows(last) == [f"P-{n:03d}" for n in range(50, 100)]
    assert "Page 2 of 2" in get("accra.localhost", q="P-", page=7).content.decode()  # past the end: the last page
    assert rows(get("accra.localhost", q="P-09", page=3)) == [f"P-{n:03d}" for n in range(90, 100)]


def test_count_of_a_large_school_follows_writes_of_other_processes_at_once(three_schools, run_cli, tmp_path):
    three_schools.add_students("nairobi", [(f"N-{n:03d}", "Many", "Pupils") for n in range(60)])
    assert "65 students" in get().content.decode()  # more than a page: the school's count
    assert "65 students" in get().content.decode()  # now cached in this process
    path = tmp_path / "one.csv"
    path.write_text("registration_no,first_name,second_name\nK/1,Amani,Kamau\n")
    assert run_cli("nairobi", "import_students", str(path)).returncode == 0
    assert "66 students" in get().content.decode()
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no__startswith="N-00").delete()  # N-000 to N-009
    assert "56 students" in get().content.decode()


def test_pages_are_the_same_when_the_stamp_is_read_on_its_own(three_schools, monkeypatch):
    # On MongoDB the stamp is not read in the rows' query (that would be a $lookup) but apart.
    from django.db import connections

    three_schools.add_students("accra", [(f"P-{n:03d}", "Same", "Name") for n in range(120)])
    pages = [("accra.localhost", {}), ("accra.localhost", {"page": 3}), ("accra.localhost", {"q": "nobody"})]
    together = [get(host, **params).content.decode() for host, params in pages]
    monkeypatch.setattr(connections["accra"], "vendor", "mongodb")
    assert [get(host, **params).content.decode() for host, params in pages] == together
    assert "127 students" in together[0] and "Page 3 of 3" in together[1]


def test_counts_of_searches_and_filters_follow_writes_of_other_processes_at_once(three_schools, run_cli, tmp_path):
    # A search's count is kept while the registrar pages and re-sorts it, never past a write.
    three_schools.add_students("nairobi", [(f"N-{n:03d}", "Many", "Pupils") for n in range(60)])
    for params in ({"q": "pup"}, {"q": "pup", "page": 2}, {"q": "pup", "sort": "-first_name"}):
        assert "60 students matching" in get(**params).content.decode()
    path = tmp_path / "one.csv"
    path.write_text("registration_no,first_name,second_name,status\nK/1,Amani,Pupa,graduated\n")
    assert run_cli("nairobi", "import_students", str(path)).returncode == 0
    assert "61 students matching" in get(q="pup", page=2).content.decode()
    assert "1 student matching" in get(q="pup", status="graduated").content.decode()
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no__startswith="N-00").update(status="graduated")  # N-000 to N-009
    assert "50 students matching" in get(q="pup", status="active").content.decode()
    assert "11 students matching" in get(q="pup", status="graduated").content.decode()


def test_a_search_or_filter_is_counted_as_the_orm_counts_it(three_schools):
    from School.records.table import StudentTableQuery, count_of

    three_schools.add_students("accra", [(f"P-{n:03d}", f"Ama{n % 3}", "O'Brien") for n in range(90)])
    with tenant_context("accra"):
        Student.objects.filter(registration_no__in=["P-001", "P-002"]).update(grade="Form 2", status="graduated")
        for params in ({"q": "ama1"}, {"q": "o'b"}, {"q": "p-0"}, {"q": "acc", "status": "active"},
                       {"grade": "Form 2"}, {"grade": "Form 2", "status": "graduated", "q": "ama"}, {"q": "%_"}, {}):
            students = StudentTableQuery.from_params(params).queryset()
            assert count_of(students) == students.count() == len(list(students)), params


def test_a_page_read_through_its_compiled_statement_is_the_orms_page_for_every_search_filter_and_sort(three_schools):
    # The statement of each shape is compiled with the first query's values
    # and run with every later one's: the second and third query of one
    # shape must find their own rows, not the first's.
    from School.records.table import SORTABLE, SchoolFacts, StudentTableQuery

    three_schools.add_students("accra", [(f"P-{n:03d}", f"Ama{n % 3}", f"Ob{n % 7}") for n in range(130)])
    with tenant_context("accra"):
        Student.objects.filter(registration_no__in=["P-001", "P-002", "P-050"]).update(grade="Form 2", status="graduated")
        Student.objects.filter(registration_no__startswith="P-01").update(sex="female")
        Student.objects.filter(registration_no__startswith="P-02").update(status="transferred", sex="male")
        fields = ("pk", "first_name", "registration_no", "status")
        shapes = [
            [{"q": "ama1"}, {"q": "AMA2"}, {"q": "ob6"}],
            [{"grade": "Form 2"}, {"grade": "Form 1"}],
            [{"status": "graduated"}, {"status": "transferred"}, {"status": "active"}],
            [{"sex": "female"}, {"sex": "male"}, {"sex": "unrecorded"}],
            [{"q": "ama", "sex": "female", "status": "active"}, {"q": "p-1", "sex": "unrecorded", "status": "active"}],
            *[[{"sort": sort, "q": "ama0"}, {"sort": f"-{sort}", "q": "p-0"}, {"sort": sort, "q": "ob1"}] for sort in SORTABLE],
        ]
        for shape in shapes:
            for params in shape:
                for hide in (True, False):
                    query = StudentTableQuery.from_params(params, hide_transferred=hide)
                    expected = list(query.queryset().values_list(*fields))
                    for number in (1, 2, 3):
                        page = query.page_rows(number, fields, SchoolFacts())
                        offset = (page.number - 1) * 50
                        assert page.rows == expected[offset:offset + 50], (params, hide, number)
                        assert page.count == len(expected), (params, hide)
