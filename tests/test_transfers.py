"""A student changes school: one record moves once, the envelope alone stays outside the two schools (issue 23)."""

import json
import shutil

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from School.context import tenant_context
from School.models import School, Student
from School.operations.provisioning import set_suspended
from School.security.models import AuditEvent
from School.transfers import protocol
from School.transfers.models import IncomingTransfer, OutgoingTransfer, Transfer
from School.utils import registry
from tests.transfer_helpers import default_holds, make_staff, signed_in, student_state
from tests.student_rows import give_guardian

pytestmark = pytest.mark.sqlite  # reads `default`'s file, raw

# The student moved in most tests: NBI-0001, NBIfirst1 NBIlast1 (see conftest.students_of).
NUMBER, FIRST, LAST = "NBI-0001", "NBIfirst1", "NBIlast1"
PRIVATE = (NUMBER, FIRST, LAST, "asthma", "722000111", "Wanjiru Kamau")


@pytest.fixture
def schools(three_schools):
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no=NUMBER).update(grade="Form 2")
    give_guardian("nairobi", NUMBER, "Wanjiru Kamau", "+254 722 000111")
    return three_schools


def actor(school, name="operator"):
    return protocol.Actor(name, school)


def nairobi_student(number=NUMBER):
    with tenant_context("nairobi"):
        return Student.objects.get(registration_no=number)


def send(number=NUMBER, note="", to="accra"):
    source, target = protocol.school_named("nairobi"), protocol.school_named(to)
    return protocol.send(source, target, [nairobi_student(number)], actor("nairobi"), note)[0].key


def accept(key, numbers=None, at="accra"):
    return protocol.accept(protocol.school_named(at), [key], actor(at), numbers)


def envelope(key):
    return Transfer.objects.using("default").get(key=key)


def copies_at(school, **filters):
    with tenant_context(school):
        return list(Student.objects.filter(**filters))


# --- the protocol -------------------------------------------------------------------------------


def test_send_then_accept_moves_every_field_once_and_default_never_holds_the_student(schools):
    original = nairobi_student()
    key = send(note="asthma: inhaler in bag")
    assert default_holds(schools, *PRIVATE) == set()
    assert envelope(key).state == "pending" and student_state(schools, "nairobi", NUMBER) == "active"
    assert student_state(schools, "accra", NUMBER) is None

    assert accept(key) == [key]
    assert default_holds(schools, *PRIVATE) == set()
    assert envelope(key).state == "accepted" and envelope(key).answered_at is not None
    (copy,) = copies_at("accra", registration_no=NUMBER)
    for field in protocol.COPIED_FIELDS:
        assert getattr(copy, field) == getattr(original, field), field
    assert student_state(schools, "nairobi", NUMBER) == "transferred"  # kept at the sender, marked out
    with tenant_context("accra"):
        marker = IncomingTransfer.objects.get(key=key)
        assert (marker.from_school, marker.student_id) == ("nairobi", copy.pk)
    with tenant_context("nairobi"):
        assert OutgoingTransfer.objects.get(key=key).state == "accepted"


def test_accepting_twice_is_refused_and_copies_nothing_more(schools):
    key = send()
    accept(key)
    with pytest.raises(protocol.TransferError, match="accepted already"):
        accept(key)
    assert len(copies_at("accra", registration_no=NUMBER)) == 1


def test_decline_and_cancel_change_nothing_but_the_transfer(schools):
    declined = send()
    protocol.decline(protocol.school_named("accra"), declined, actor("accra"), "no place in Form 2")
    assert envelope(declined).state == "declined"
    with tenant_context("nairobi"):
        assert OutgoingTransfer.objects.get(key=declined).decline_reason == "no place in Form 2"
    assert default_holds(schools, "no place in Form 2") == set()  # the reason may name the child: kept at the sender
    cancelled = send()  # a declined transfer is not pending: it may be sent again
    protocol.cancel(protocol.school_named("nairobi"), cancelled, actor("nairobi"))
    assert envelope(cancelled).state == "cancelled"
    with pytest.raises(protocol.TransferError, match="cancelled already"):
        accept(cancelled)
    assert student_state(schools, "nairobi", NUMBER) == "active"
    assert copies_at("accra", registration_no=NUMBER) == []


def test_a_declined_transfer_needs_a_reason(schools):
    key = send()
    with pytest.raises(protocol.TransferError, match="why"):
        protocol.decline(protocol.school_named("accra"), key, actor("accra"), "  ")
    assert envelope(key).state == "pending"


def test_a_student_with_a_pending_transfer_cannot_be_sent_again(schools):
    send()
    with pytest.raises(protocol.TransferError, match="already has a transfer pending to accra"):
        send(to="default")


def test_registration_number_is_kept_when_free_and_entered_at_acceptance_when_taken(schools):
    schools.add_students("accra", [(NUMBER, "Other", "Child")])
    key = send()
    with pytest.raises(protocol.TransferError, match=f"{NUMBER} is taken at accra"):
        accept(key)
    assert envelope(key).state == "pending" and student_state(schools, "nairobi", NUMBER) == "active"
    accept(key, {key: "ACC-9001"})
    (copy,) = copies_at("accra", registration_no="ACC-9001")
    assert (copy.first_name, copy.second_name) == (FIRST, LAST)
    with tenant_context("accra"):
        assert IncomingTransfer.objects.get(key=key).registration_no_there == NUMBER


def test_suspended_or_unreachable_receiver_refuses_and_the_sender_stays_as_it_was(schools):
    set_suspended("accra", True)
    with pytest.raises(protocol.TransferError, match="accra is suspended"):
        send()
    set_suspended("accra", False)
    key = send()
    # Accra's database becomes unreachable (a path that cannot be opened).
    School.objects.using("default").filter(name="accra").update(database="/nonexistent/dir/accra.sqlite3")
    registry.invalidate()
    with pytest.raises(protocol.TransferError, match="accra cannot be reached: cannot use the SQLite database"):
        accept(key)
    assert envelope(key).state == "pending" and student_state(schools, "nairobi", NUMBER) == "active"
    with tenant_context("nairobi"):
        assert OutgoingTransfer.objects.get(key=key).state == "pending"


def test_the_receiver_in_another_data_directory(schools, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(schools.db_dir / "accra.sqlite3", elsewhere / "accra.sqlite3")
    (schools.db_dir / "accra.sqlite3").unlink()
    School.objects.using("default").filter(name="accra").update(database=str(elsewhere / "accra.sqlite3"))
    registry.invalidate()
    key = send()
    accept(key)
    assert student_state(schools, "accra", NUMBER, database=elsewhere / "accra.sqlite3") == "active"
    assert not (schools.db_dir / "accra.sqlite3").exists()
    assert student_state(schools, "nairobi", NUMBER) == "transferred"


def test_history_travels_with_the_record(schools):
    student = nairobi_student()
    with tenant_context("nairobi"):
        registrar = get_user_model().objects.create_user("wambui")
        LogEntry.objects.create(user=registrar, content_type=ContentType.objects.get_for_model(Student), object_id=str(student.pk),
                                object_repr=str(student), action_flag=CHANGE, change_message='[{"changed": {"fields": ["Class"]}}]')
    first = send()
    accept(first)
    # And on to a third school: the history of both earlier schools follows.
    with tenant_context("accra"):
        moved = Student.objects.get(registration_no=NUMBER)
    second = protocol.send(protocol.school_named("accra"), protocol.school_named("default"), [moved], actor("accra"))[0].key
    accept(second, at="default")
    with tenant_context("default"):
        copy = Student.objects.get(registration_no=NUMBER)
        lines = [(line.school, line.action, line.username) for line in copy.carried_history.all()]
    assert ("Nairobi School", "changed", "wambui") in lines
    assert ("Accra Academy", "transferred in", "operator") in lines


def test_the_photo_and_documents_travel_with_the_record_once(schools):
    from tests.test_documents import jpeg, pdf
    from tests.test_documents_operations import attach, contents, rows

    attach(NUMBER, "photo.jpg", jpeg(), kind="photo")
    attach(NUMBER, "letter.pdf", pdf(pages=2), kind="transfer_letter")
    key = send()
    accept(key)
    with pytest.raises(protocol.TransferError, match="accepted already"):
        accept(key)
    carried = {(number, kind) for number, kind, _sha in rows("accra")}
    assert carried == {(NUMBER, "photo"), (NUMBER, "transfer_letter")}
    assert contents("accra") == contents("nairobi")  # the same bytes, checked by their checksums
    # The sender keeps its read-only record with its files.
    assert {(number, kind) for number, kind, _sha in rows("nairobi")} == carried


def test_an_acceptance_cut_off_while_carrying_files_is_finished_by_accepting_again(schools, monkeypatch):
    from School.documents import carry
    from School.transfers import parts
    from tests.test_documents import jpeg, pdf
    from tests.test_documents_operations import attach, rows

    attach(NUMBER, "photo.jpg", jpeg(), kind="photo")
    attach(NUMBER, "letter.pdf", pdf(pages=2), kind="transfer_letter")
    key = send()

    def first_file_only(student, carried_files, school_name=""):
        carry.write_student_files(student, [next(iter(carried_files))], school_name)
        raise OSError("the machine went down")

    monkeypatch.setattr(parts, "write_student_files", first_file_only)
    with pytest.raises(OSError):
        accept(key)
    assert len(rows("accra")) == 1
    monkeypatch.undo()
    accept(key)  # finishes the job: the file already there is not copied again
    assert {(number, kind) for number, kind, _sha in rows("accra")} == {(NUMBER, "photo"), (NUMBER, "transfer_letter")}
    assert student_state(schools, "accra", NUMBER) == "active" and student_state(schools, "nairobi", NUMBER) == "transferred"


def test_writes_go_through_the_model_so_the_tables_counts_follow(schools):
    client = Client(HTTP_HOST="nairobi.localhost")
    assert "5 students" in client.get("/").content.decode()
    accept(send())
    assert "4 students" in client.get("/").content.decode()
    page = client.get("/", {"status": "transferred"}).content.decode()
    assert "1 student matching" in page and NUMBER in page
    assert "8 students" in Client(HTTP_HOST="accra.localhost").get("/").content.decode()


# --- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def staff(schools, settings):
    settings.STUDENT_DATA_REQUIRES_LOGIN = True
    make_staff("nairobi", "njeri")
    make_staff("accra", "kofi")
    make_staff("default", "third")
    make_staff("nairobi", "clerk", transfer=False)
    return {"nairobi": signed_in("nairobi.localhost", "njeri"), "accra": signed_in("accra.localhost", "kofi"),
            "default": signed_in("localhost", "third")}


def test_send_from_the_students_page_accept_at_the_receiver_and_both_pages_say_so(staff, schools):
    student = nairobi_student()
    page = staff["nairobi"].get(f"/students/{student.pk}/").content.decode()
    assert 'id="transfer-link"' in page
    form = staff["nairobi"].get("/transfers/send/", {"student": student.pk}).content.decode()
    assert f'value="{student.pk}"' in form and "NBI-0002" not in form
    sent = staff["nairobi"].post("/transfers/send/", {"student": [student.pk], "to": "Accra Academy", "note": "asthma"})
    assert sent.status_code == 302
    (key,) = Transfer.objects.using("default").values_list("key", flat=True)
    assert str(key) in staff["nairobi"].get("/transfers/").content.decode()
    assert "Transfer to Accra Academy pending" in staff["nairobi"].get(f"/students/{student.pk}/").content.decode()
    incoming = staff["accra"].get("/transfers/").content.decode()
    assert FIRST in incoming and "asthma" in incoming and "Nairobi School" in incoming
    assert staff["accra"].post(f"/transfers/{key}/accept/").status_code == 302
    assert default_holds(schools, *PRIVATE) == set()  # the note ("asthma") included

    sender_page = staff["nairobi"].get(f"/students/{student.pk}/").content.decode()
    assert "Transferred out to Accra Academy on" in sender_page and "read-only" in sender_page
    assert "Edit in the admin" not in sender_page and 'id="transfer-link"' not in sender_page
    (copy,) = copies_at("accra", registration_no=NUMBER)
    receiver_page = staff["accra"].get(f"/students/{copy.pk}/").content.decode()
    assert "Transferred in from Nairobi School on" in receiver_page
    table = staff["nairobi"].get("/").content.decode()
    assert NUMBER not in table and NUMBER in staff["nairobi"].get("/", {"status": "transferred"}).content.decode()


def test_several_students_from_the_table(staff, schools):
    form = staff["nairobi"].get("/transfers/send/", {"q": "nbi"}).content.decode()
    assert all(f"NBI-000{n}" in form for n in range(5))
    ids = [student.pk for student in copies_at("nairobi", registration_no__in=["NBI-0002", "NBI-0003"])]
    assert staff["nairobi"].post("/transfers/send/", {"student": ids, "to": "accra"}).status_code == 302
    assert Transfer.objects.using("default").filter(source="nairobi", target="accra", state="pending").count() == 2
    assert 'id="transfer-students"' in staff["nairobi"].get("/").content.decode()


def test_the_sender_can_cancel_until_it_is_answered(staff, schools):
    key = send()
    assert staff["nairobi"].post(f"/transfers/{key}/cancel/").status_code == 302
    assert envelope(key).state == "cancelled"
    again = staff["nairobi"].post(f"/transfers/{key}/cancel/")
    assert again.status_code == 400 and "cancelled already" in again.content.decode()


def test_decline_with_a_reason_shows_at_the_sender(staff, schools):
    key = send()
    assert staff["accra"].post(f"/transfers/{key}/decline/", {"reason": "class full"}).status_code == 302
    assert "class full" in staff["nairobi"].get("/transfers/").content.decode()
    assert student_state(schools, "nairobi", NUMBER) == "active"


def test_every_refusal(staff, schools):
    key = send()
    clerk = signed_in("nairobi.localhost", "clerk")
    assert clerk.get("/transfers/").status_code == 403  # no permission
    assert clerk.post("/transfers/send/", {"student": [nairobi_student().pk], "to": "accra"}).status_code == 403
    assert Client(HTTP_HOST="nairobi.localhost").get("/transfers/").status_code == 302  # signed out: the sign-in page
    # Staff of a third school see nothing of it and can do nothing with it.
    third = staff["default"].get("/transfers/").content.decode()
    assert str(key) not in third and FIRST not in third
    for action in ("accept", "decline", "cancel"):
        assert staff["default"].post(f"/transfers/{key}/{action}/", {"reason": "x"}).status_code == 404
    # A forged id, and a transfer addressed to another school (the sender trying to accept its own).
    forged = "00000000-0000-4000-8000-000000000000"
    assert staff["accra"].post(f"/transfers/{forged}/accept/").status_code == 404
    assert staff["accra"].post("/transfers/not-a-uuid/accept/").status_code == 404
    assert staff["nairobi"].post(f"/transfers/{key}/accept/").status_code == 404
    assert staff["accra"].post(f"/transfers/{key}/cancel/").status_code == 404  # only the sender cancels
    # Accepting twice.
    assert staff["accra"].post(f"/transfers/{key}/accept/").status_code == 302
    twice = staff["accra"].post(f"/transfers/{key}/accept/")
    assert twice.status_code == 400 and "accepted already" in twice.content.decode()
    assert len(copies_at("accra", registration_no=NUMBER)) == 1
    assert envelope(key).state == "accepted"


def test_the_receiver_sees_only_what_the_transfer_needs(staff, schools):
    send()
    incoming = staff["accra"].get("/transfers/").content.decode()
    assert "NBI-0002" not in incoming and "NBIfirst2" not in incoming  # the sender's other students
    assert "722000111" not in incoming and "722 000111" not in incoming  # the guardian's phone is not needed to decide


def test_unreachable_receiver_on_the_page_is_a_clear_message(staff, schools):
    set_suspended("accra", True)
    response = staff["nairobi"].post("/transfers/send/", {"student": [nairobi_student().pk], "to": "accra"})
    assert response.status_code == 400 and "accra is suspended" in response.content.decode()
    assert not Transfer.objects.using("default").exists()
    with tenant_context("nairobi"):
        assert not OutgoingTransfer.objects.exists()


def test_the_admin_refuses_to_change_a_transferred_out_record(schools):
    accept(send())
    with tenant_context("nairobi"):
        get_user_model().objects.create_superuser("boss", "", "pw-12345-long")
    admin = Client(HTTP_HOST="nairobi.localhost")
    assert admin.post("/admin/login/", {"username": "boss", "password": "pw-12345-long"}).status_code == 302
    student = nairobi_student()
    page = admin.get(f"/admin/School/student/{student.pk}/change/")
    assert page.status_code == 200 and 'name="first_name"' not in page.content.decode()  # read-only view
    posted = admin.post(f"/admin/School/student/{student.pk}/change/", {"first_name": "Changed"})
    assert posted.status_code == 403
    assert admin.post(f"/admin/School/student/{student.pk}/delete/", {"post": "yes"}).status_code == 403
    assert nairobi_student().first_name == FIRST


def test_both_audit_trails_record_each_step_and_who_took_it(staff, schools):
    student = nairobi_student()
    staff["nairobi"].post("/transfers/send/", {"student": [student.pk], "to": "accra"})
    key = Transfer.objects.using("default").get().key
    staff["accra"].post(f"/transfers/{key}/accept/")

    def trail(school):
        with tenant_context(school):
            return [(event.action, event.username) for event in AuditEvent.objects.order_by("pk")
                    if event.action.startswith("transfer")]

    assert trail("nairobi") == [("transfer_send", "njeri"), ("transfer_accept", "kofi (accra)")]
    assert trail("accra") == [("transfer_send", "njeri (nairobi)"), ("transfer_accept", "kofi")]
    assert trail("default") == []


# --- the command line -------------------------------------------------------------------------------


def test_cli_transfer_with_accept_and_the_listing(schools, run_cli):
    done = run_cli("schools", "transfer", "nairobi", "NBI-0001", "NBI-0002", "--to", "accra", "--accept", "--note", "moved")
    assert done.returncode == 0, done.stderr
    assert "Transferred 2 students from nairobi to accra" in done.stdout
    assert student_state(schools, "accra", "NBI-0002") == "active"
    assert student_state(schools, "nairobi", "NBI-0002") == "transferred"
    listed = run_cli("schools", "transfers", "--school", "accra", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    transfers = json.loads(listed.stdout)
    assert [(t["source"], t["target"], t["state"]) for t in transfers] == [("nairobi", "accra", "accepted")] * 2
    assert set(transfers[0]) == {"key", "source", "target", "state", "created_at", "answered_at"}
    table = run_cli("schools", "transfers", "--state", "accepted")
    assert table.stdout.splitlines()[0].split() == ["TRANSFER", "FROM", "TO", "STATE", "SENT", "ANSWERED"]
    # A rerun finds the job done.
    again = run_cli("schools", "transfer", "nairobi", "NBI-0001", "--to", "accra", "--accept")
    assert again.returncode == 0 and "transferred to accra already" in again.stdout
    assert len(copies_at("accra", registration_no="NBI-0001")) == 1
    assert default_holds(schools, *PRIVATE) == set()


def test_cli_moves_a_whole_school_with_a_progress_bar(schools, run_cli):
    done = run_cli("schools", "transfer", "nairobi", "--all", "--to", "accra", "--accept")
    assert done.returncode == 0, done.stderr
    assert "[1/1] 5 students: transferred" in done.stdout
    assert "Transferred 5 students from nairobi to accra" in done.stdout
    assert len(copies_at("accra", registration_no__startswith="NBI-")) == 5
    assert copies_at("nairobi", status="active") == []


@pytest.mark.parametrize("args, message", [
    (["lagos", "NBI-0001", "--to", "accra"], "unknown school 'lagos'"),
    (["nairobi", "NBI-0001", "--to", "lagos"], "unknown school 'lagos'"),
    (["nairobi", "NBI-0001", "--to", "nairobi"], "the source and the destination are the same school (nairobi)"),
    (["nairobi", "NBI-9999", "--to", "accra"], "no student 'NBI-9999' at nairobi"),
    (["nairobi", "NBI-0003", "--to", "accra", "--accept"], "registration number NBI-0003 is taken at accra"),
    (["nairobi", "NBI-0002", "--to", "default"], "student NBI-0002 already has a transfer pending to accra"),
    (["nairobi", "--to", "accra"], "give registration numbers or --all"),
])
def test_cli_bad_input_is_one_line_exit_2_and_nothing_changed(schools, run_cli, args, message):
    schools.add_students("accra", [("NBI-0003", "Some", "One")])
    send("NBI-0002")
    before = list(Transfer.objects.using("default").values_list("key", "state"))
    result = run_cli("schools", "transfer", *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert list(Transfer.objects.using("default").values_list("key", "state")) == before
    assert [student_state(schools, "nairobi", f"NBI-000{n}") for n in range(5)] == ["active"] * 5


def test_cli_gives_a_taken_number_another_one(schools, run_cli):
    schools.add_students("accra", [(NUMBER, "Some", "One")])
    done = run_cli("schools", "transfer", "nairobi", NUMBER, "--to", "accra", "--accept", "--number", f"{NUMBER}=ACC-5000")
    assert done.returncode == 0, done.stderr
    assert [s.first_name for s in copies_at("accra", registration_no="ACC-5000")] == [FIRST]


# --- which database each step writes to ----------------------------------------------------------


def test_each_step_writes_only_to_its_own_database(schools, monkeypatch):
    """Observed on every query: the sender's steps at the sender, the receiver's at the receiver, the envelope in default."""
    from django.db import connections

    from School.transfers import checkpoints

    log = []
    monkeypatch.setattr(checkpoints, "reached", lambda step: log.append(("step", step)))

    def recorder(alias):
        def record(execute, sql, params, many, context):
            if sql.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                table = sql.split('"')[1]
                log.append((alias, table))
            return execute(sql, params, many, context)
        return record

    student = nairobi_student()
    wrappers = []
    for alias in ("default", "nairobi", "accra"):
        protocol.school_named(alias)
        wrappers.append(connections[alias].execute_wrapper(recorder(alias)))
        wrappers[-1].__enter__()
    try:
        key = protocol.send(protocol.school_named("nairobi"), protocol.school_named("accra"), [student], actor("nairobi"))[0].key
        accept(key)
    finally:
        for wrapper in reversed(wrappers):
            wrapper.__exit__(None, None, None)

    steps, writes = {}, "start"
    for entry in log:
        if entry[0] == "step":
            writes = entry[1]
        else:
            steps.setdefault(writes, set()).add(entry)
    # Each school's audit event is written with that school's own step.
    assert steps["start"] == {("nairobi", "transfers_outgoingtransfer"), ("nairobi", "security_auditevent")}
    assert steps["send:recorded"] == {("default", "transfers_transfer")}
    # The receiver's audit event, then accepting starts: the envelope is claimed.
    assert steps["send:announced"] == {("accra", "security_auditevent"), ("default", "transfers_transfer")}
    assert steps["accept:claimed"] == {("nairobi", "transfers_outgoingtransfer"), ("nairobi", "School_student"), ("nairobi", "School_studentsstamp")}
    assert steps["accept:prepared"] == {("accra", "School_student"), ("accra", "transfers_incomingtransfer"),
                                        ("accra", "School_studentsstamp"), ("accra", "security_auditevent")}
    # The parts: no history or years at the sender to carry for this student; the receiver enrols it in its
    # current year (made on first use: accra had none, and a new year renews the students' stamp); its
    # guardian goes to the receiver only.
    assert steps["accept:copied"] == {("accra", "school_year_schoolyear"), ("accra", "school_year_enrolment"),
                                      ("accra", "School_studentsstamp"), ("accra", "identity_guardian"),
                                      ("accra", "identity_guardianship")}
    # The sender's year of the student ends "transferred out" with the sender's own step.
    # The sender's year of the student ends "transferred out", and the student leaves its groups (a trip, a team),
    # with the sender's own step.
    assert steps["accept:carried"] == {("nairobi", "transfers_outgoingtransfer"), ("nairobi", "security_auditevent"),
                                       ("nairobi", "school_year_enrolment"), ("nairobi", "register_groupmember")}
    assert steps["accept:finalized"] == {("default", "transfers_transfer")}


def test_the_api_reads_a_transferred_out_record_but_does_not_change_it(schools):
    from School.security.tokens import create_token

    accept(send())
    with tenant_context("nairobi"):
        key, _ = create_token(get_user_model().objects.create_superuser("api", "", "pw-12345-long"))
    api = Client(HTTP_HOST="nairobi.localhost", HTTP_AUTHORIZATION=f"Token {key}")
    student = nairobi_student()
    assert api.get(f"/api/students/{student.pk}/").json()["status"] == "transferred"
    changed = api.patch(f"/api/students/{student.pk}/", {"first_name": "X"}, content_type="application/json")
    assert changed.status_code == 403 and "read-only" in changed.json()["detail"]
    assert api.delete(f"/api/students/{student.pk}/").status_code == 403
    assert nairobi_student().first_name == FIRST


def test_a_record_in_a_transfer_cannot_be_deleted_and_one_declined_can(schools):
    from School.security.tokens import create_token

    with tenant_context("nairobi"):
        key, _ = create_token(get_user_model().objects.create_superuser("api", "", "pw-12345-long"))
    api = Client(HTTP_HOST="nairobi.localhost", HTTP_AUTHORIZATION=f"Token {key}")
    transfer = send()
    student = nairobi_student()
    assert api.delete(f"/api/students/{student.pk}/").status_code == 403  # pending: the receiver may accept it
    protocol.decline(protocol.school_named("accra"), transfer, actor("accra"), "no place")
    assert api.delete(f"/api/students/{student.pk}/").status_code == 204


def test_an_unreachable_sender_leaves_the_receivers_list_working_and_accepting_says_why(staff, schools):
    key = send()
    School.objects.using("default").filter(name="nairobi").update(database="/nonexistent/dir/nairobi.sqlite3")
    registry.invalidate()
    listed = staff["accra"].get("/transfers/")
    assert listed.status_code == 200 and str(key) in listed.content.decode()
    refused = staff["accra"].post(f"/transfers/{key}/accept/")
    assert refused.status_code == 400 and "nairobi cannot be reached" in refused.content.decode()
    assert envelope(key).state == "pending"


def test_decline_and_cancel_are_in_both_audit_trails(staff, schools):
    declined, cancelled = send(), send("NBI-0002")
    staff["accra"].post(f"/transfers/{declined}/decline/", {"reason": "full"})
    staff["nairobi"].post(f"/transfers/{cancelled}/cancel/")
    for school, (decliner, canceller) in {"nairobi": ("kofi (accra)", "njeri"), "accra": ("kofi", "njeri (nairobi)")}.items():
        with tenant_context(school):
            events = set(AuditEvent.objects.filter(action__in=["transfer_decline", "transfer_cancel"]).values_list("action", "username"))
        assert events == {("transfer_decline", decliner), ("transfer_cancel", canceller)}, school


def test_two_acceptances_at_once_copy_once_and_never_put_the_sender_back(schools, monkeypatch):
    """The second acceptance reaches the copy after the first made it: it must not undo the sender's mark."""
    from School.transfers import checkpoints

    key = send()
    raced = []

    def the_other_acceptance_runs_now(step):
        # The first acceptance ran to its end between this one's reads and its copy.
        if step == "accept:prepared" and not raced:
            raced.append(True)
            accept(key)

    monkeypatch.setattr(checkpoints, "reached", the_other_acceptance_runs_now)
    with pytest.raises(protocol.TransferError, match="being accepted by someone else"):
        accept(key)
    assert len(copies_at("accra", registration_no=NUMBER)) == 1
    assert student_state(schools, "nairobi", NUMBER) == "transferred"
    assert envelope(key).state == "accepted"


def test_an_import_with_update_leaves_a_transferred_out_record_alone(schools, tmp_path):
    from School.records.files import StudentImport
    from tests.student_rows import ROW_COLUMNS

    accept(send())
    path = tmp_path / "update.csv"
    path.write_text(f"{','.join(ROW_COLUMNS)}\n{NUMBER},Changed,Name,,Form 4,,active,,\n")
    with tenant_context("nairobi"):
        report = StudentImport(path, update=True).apply()
    assert not report.written and "read-only" in str(report.errors[0])
    assert nairobi_student().first_name == FIRST and student_state(schools, "nairobi", NUMBER) == "transferred"


def test_notes_and_reasons_follow_the_rule_for_text(schools):
    with pytest.raises(protocol.TransferError, match="control character U\\+0007"):
        send(note="moving\x07")
    key = send(note="  moving\u00a0 to   Accra ")
    protocol.decline(protocol.school_named("accra"), key, actor("accra"), "no\tplace  in Form 2")
    with tenant_context("nairobi"):
        row = OutgoingTransfer.objects.get(key=key)
    assert (row.note, row.decline_reason) == ("moving to Accra", "no place in Form 2")
