"""Transfers carry a student's years, and promotion day sends graduates on (issue 32): the sender's year ends
"transferred out", the receiver enrols the student in its own current year and shows the earlier years, and
`promote --graduates-to` sends every graduate exactly once, however often it is run or undone."""

import datetime
import re

import pytest

from School.accounts.groups import REGISTRARS
from School.context import tenant_context
from School.models import Student
from School.school_year.ladder import set_ladder
from School.school_year.models import CarriedEnrolment, Enrolment
from School.transfers.models import OutgoingTransfer, State
from tests.people_helpers import member, signed_in
from tests.test_school_year import NEXT, THIS_YEAR, ready, secondary  # noqa: F401 (fixtures)

TODAY = datetime.date.today()


@pytest.fixture
def with_secondary(ready):
    """nairobi ready for NEXT (Form 4 graduates: F4-00..F4-04), and kisumu, a school whose ladder starts at S1."""
    ready.add_school("kisumu", ["kisumu.localhost"], "Kisumu High")
    with tenant_context("kisumu"):
        set_ladder("kisumu", ["S1", "S2", "Form 2", "Form 3"], finals=["Form 3"])
    return ready


def years_of(name, number):
    with tenant_context(name):
        student = Student.objects.get(registration_no=number)
        carried = [(c.school, c.year, c.grade, c.outcome) for c in CarriedEnrolment.objects.filter(student=student)]
        own = [(e.year.name, e.grade.name if e.grade else "", e.outcome, e.last_day) for e in Enrolment.objects.filter(student=student)]
        return student.status, carried, own


def test_a_transfer_ends_the_senders_year_and_the_receiver_shows_it_and_enrols_the_student(with_secondary, run_cli):
    result = run_cli("schools", "transfer", "nairobi", "F2-01", "--to", "kisumu", "--accept")
    assert result.returncode == 0, result.stderr
    assert years_of("nairobi", "F2-01") == ("transferred", [], [(str(THIS_YEAR), "Form 2", "transferred", TODAY)])
    status, carried, own = years_of("kisumu", "F2-01")
    assert status == "active"
    assert carried == [("Nairobi School", str(THIS_YEAR), "Form 2", "transferred")]
    assert own == [(str(THIS_YEAR), "Form 2", "enrolled", None)]
    # The receiver's staff see that year on the student's page, with the earlier school's name, and nothing to edit.
    member("kisumu", "wanjiru", REGISTRARS)
    with tenant_context("kisumu"):
        pk = Student.objects.get(registration_no="F2-01").pk
    page = signed_in("kisumu.localhost", "wanjiru").get(f"/students/{pk}/").content.decode()
    table = re.search(r'<table class="table" id="earlier-schools".*?</table>', page, re.S).group(0)
    rows = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    assert len(rows) == 1 and rows[0].startswith(f"Nairobi School {THIS_YEAR} Form 2 — ")
    assert rows[0].endswith("Transferred out") and "<input" not in table and "<a " not in table


def test_years_travel_on_to_a_third_school(with_secondary, run_cli):
    assert run_cli("nairobi", "promote", "--to", NEXT).returncode == 0  # F2-01 now in Form 3, year NEXT
    assert run_cli("schools", "transfer", "nairobi", "F2-01", "--to", "kisumu", "--accept").returncode == 0
    with_secondary.add_school("accra", ["accra.localhost"], "Accra Academy")
    assert run_cli("schools", "transfer", "kisumu", "F2-01", "--to", "accra", "--accept").returncode == 0
    _, carried, _ = years_of("accra", "F2-01")
    # By first day: kisumu, still in this year, enrolled the student today, before nairobi's NEXT began.
    assert carried == [("Nairobi School", str(THIS_YEAR), "Form 2", "promoted"),
                       ("Kisumu High", str(THIS_YEAR), "Form 3", "transferred"),
                       ("Nairobi School", NEXT, "Form 3", "transferred")]


def test_graduates_are_sent_once_however_often_the_command_runs(with_secondary, run_cli):
    result = run_cli("nairobi", "promote", "--to", NEXT, "--graduates-to", "kisumu")
    assert result.returncode == 0, result.stderr
    assert "graduates sent to kisumu as transfers: 5" in result.stdout
    again = run_cli("nairobi", "promote", "--to", NEXT, "--graduates-to", "kisumu")
    assert again.returncode == 0, again.stderr
    assert "graduates sent to kisumu as transfers: 0 (5 sent before)" in again.stdout
    with tenant_context("nairobi"):
        sent = OutgoingTransfer.objects.filter(to_school="kisumu")
        assert sent.count() == 5 and set(sent.values_list("state", flat=True)) == {State.PENDING}
        assert set(sent.values_list("student__registration_no", flat=True)) == {f"F4-0{n}" for n in range(5)}
    accepted = run_cli("schools", "transfer", "nairobi", *[f"F4-0{n}" for n in range(5)], "--to", "kisumu", "--accept")
    assert accepted.returncode == 0, accepted.stderr
    status, carried, own = years_of("kisumu", "F4-00")
    assert status == "active" and own == [(str(THIS_YEAR), "S1", "enrolled", None)]
    assert carried == [("Nairobi School", str(THIS_YEAR), "Form 4", "graduated")]
    assert years_of("nairobi", "F4-00")[2] == [(str(THIS_YEAR), "Form 4", "graduated", datetime.date(THIS_YEAR, 12, 31))]
    # Accepted graduates have left: the promotion can no longer be undone.
    refused = run_cli("nairobi", "promote", "--undo", NEXT)
    assert refused.returncode == 2 and "students were changed after the promotion" in refused.stderr


def test_undo_cancels_the_graduates_waiting_transfers_and_a_new_promotion_sends_them_again(with_secondary, run_cli):
    assert run_cli("nairobi", "promote", "--to", NEXT, "--graduates-to", "kisumu").returncode == 0
    undone = run_cli("nairobi", "promote", "--undo", NEXT)
    assert undone.returncode == 0, undone.stderr
    assert "5 graduate transfers still waiting for an answer cancelled" in undone.stdout
    with tenant_context("nairobi"):
        assert set(OutgoingTransfer.objects.values_list("state", flat=True)) == {State.CANCELLED}
        assert Student.objects.get(registration_no="F4-00").status == "active"
    redo = run_cli("nairobi", "promote", "--to", NEXT, "--graduates-to", "kisumu")
    assert redo.returncode == 0, redo.stderr
    with tenant_context("nairobi"):
        assert OutgoingTransfer.objects.filter(state=State.PENDING).count() == 5


def test_an_unknown_receiving_school_is_refused_before_the_promotion(with_secondary, run_cli):
    result = run_cli("nairobi", "promote", "--to", NEXT, "--graduates-to", "nowhere")
    assert result.returncode == 2 and "--graduates-to nowhere" in result.stderr
    with tenant_context("nairobi"):
        assert not Enrolment.objects.filter(year__name=NEXT).exists()
