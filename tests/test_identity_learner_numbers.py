"""The learner number and what `default` knows of each child (issue 33): issued once, checked, followed, duplicates."""

import datetime
import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.core.exceptions import ValidationError

from School.context import tenant_context
from School.identity.learner_number import ALPHABET, LENGTH, digest, is_valid, new_number, read_number
from School.identity.registry import digests_of, fingerprint, name_parts, store_digests
from School.models import Student
from School.platform.figures import recount
from School.platform.models import LearnerNumber, StudentDigest
from School.transfers.models import Transfer
from School.utils import school_by_name
from tests.conftest import ROOT, students_of
from tests.test_platform_figures import assert_no_foreign_students_in_default


def numbers_of(school):
    with tenant_context(school):
        return dict(Student.objects.values_list("registration_no", "learner_no"))


def test_every_mistyped_character_and_swapped_neighbours_are_refused():
    number = new_number()
    assert len(number) == LENGTH and read_number(number) == number
    for at in range(LENGTH):
        for character in ALPHABET:
            if character != number[at]:
                assert not is_valid(number[:at] + character + number[at + 1:])
        if at + 1 < LENGTH and number[at] != number[at + 1]:
            assert not is_valid(number[:at] + number[at + 1] + number[at] + number[at + 2:])
    # Typed as people write it: lower case, grouped, O for 0 and I or L for 1.
    assert read_number(" " + number[:5].lower() + "-" + number[5:] + " ") == number
    wrong = number[:-1] + next(c for c in ALPHABET if c != number[-1])
    with pytest.raises(ValidationError, match="is mistyped: its check character does not match"):
        read_number(wrong)
    with pytest.raises(ValidationError, match="has 10 letters and digits"):
        read_number("ABC")


def test_new_students_get_distinct_numbers_and_default_keeps_only_their_digests(three_schools):
    numbers = {**numbers_of("nairobi"), **numbers_of("accra"), **numbers_of("default")}
    assert len(numbers) == 15 and len(set(numbers.values())) == 15
    assert all(is_valid(number) for number in numbers.values())
    issued = set(LearnerNumber.objects.using("default").values_list("digest", flat=True))
    assert {digest(number) for number in numbers.values()} <= issued
    with tenant_context("nairobi"):
        one = Student.objects.create(registration_no="NBI-N1", first_name="Wanjiru", second_name="Kamau")
        kept = Student.objects.create(registration_no="NBI-N2", first_name="Otieno", second_name="K", learner_no=one.learner_no)
    assert is_valid(one.learner_no) and kept.learner_no == one.learner_no  # a number given is kept, never replaced
    recount("nairobi")
    assert StudentDigest.objects.using("default").filter(school__name="nairobi").count() == 7
    # The `default` school's own students live in `default`; every other school's numbers must not.
    marks = [*numbers_of("nairobi").values(), *numbers_of("accra").values()]
    assert_no_foreign_students_in_default(marks)


def test_numbering_every_school_killed_mid_way_gives_no_number_twice_and_a_rerun_completes(platform, run_cli):
    platform.add_school("default", ["localhost"], "Default", [])
    platform.add_school("big", ["big.localhost"], "Big", students_of("BIG", 3000))
    path = platform.db_dir / "big.sqlite3"
    with sqlite3.connect(path) as db:  # students from before learner numbers
        db.execute("UPDATE School_student SET learner_no = ''")

    def numbered():
        with sqlite3.connect(path, timeout=30) as db:
            return db.execute("SELECT count(*) FROM School_student WHERE learner_no != ''").fetchone()[0]

    process = subprocess.Popen(
        [sys.executable, str(ROOT / "school_manage.py"), "schools", "learner-numbers", "--all", "--jobs", "1"],
        cwd=ROOT, env=platform.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while numbered() == 0:  # the first step is committed: strike there
        assert process.poll() is None, "finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert 0 < numbered() < 3000
    rerun = run_cli("schools", "learner-numbers", "--all", "--jobs", "1")
    assert rerun.returncode == 0, rerun.stderr
    assert "learner-numbers for 2 schools" in rerun.stdout
    numbers = list(numbers_of("big").values())
    assert len(set(numbers)) == 3000 and all(is_valid(number) for number in numbers)
    issued = set(LearnerNumber.objects.using("default").values_list("digest", flat=True))
    assert {digest(number) for number in numbers} <= issued
    assert_no_foreign_students_in_default(numbers[:50] + ["BIG-0001", "BIGfirst1"])


def test_bad_uses_of_the_command_exit_2(three_schools, run_cli):
    for args in ([], ["nowhere"], ["nairobi", "--all"], ["import"]):
        result = run_cli("schools", "learner-numbers", *args)
        assert result.returncode == 2, (args, result.stderr)


def test_the_fingerprint_ignores_accents_case_spacing_and_name_order():
    born = datetime.date(2015, 3, 1)
    assert name_parts("José  María", "Da-Silva") == ["da", "jose", "maria", "silva"]
    assert fingerprint("José María", "da Silva", born, "male") == fingerprint("DA SILVA", "jose  maria", born, "male")
    assert fingerprint("José", "Silva", born, "male") != fingerprint("José", "Silva", born, "female")
    assert fingerprint("José", "Silva", None, "male") == ""


def test_duplicates_certain_by_number_likely_by_fingerprint_and_not_while_a_transfer_is_open(three_schools, run_cli):
    born = datetime.date(2014, 5, 6)
    with tenant_context("nairobi"):
        child = Student.objects.create(registration_no="NBI-D1", first_name="Amani", second_name="Wanjiru",
                                       date_of_birth=born, sex="female")
        Student.objects.create(registration_no="NBI-T1", first_name="Baraka", second_name="Otieno",
                               date_of_birth=born, sex="male")
    with tenant_context("accra"):  # the same child enrolled again, with her number; a twin-like namesake with his own
        Student.objects.create(registration_no="ACC-D9", first_name="Amani", second_name="Wanjiru",
                               date_of_birth=born, sex="female", learner_no=child.learner_no)
        Student.objects.create(registration_no="ACC-T9", first_name="otieno", second_name="Baraka",
                               date_of_birth=born, sex="male")
    for school in ("nairobi", "accra"):
        recount(school)
    result = run_cli("schools", "duplicates", "--format", "json")
    assert result.returncode == 0, result.stderr
    found = {(row["match"], row["registration_no"], row["other_registration_no"], row["note"])
             for row in json.loads(result.stdout)}
    assert found == {("certain", "ACC-D9", "NBI-D1", ""), ("likely", "ACC-T9", "NBI-T1", "different learner numbers")}
    Transfer.objects.using("default").create(source="nairobi", target="accra")
    result = run_cli("schools", "duplicates")
    assert result.returncode == 0 and "NBI-D1" not in result.stdout
    assert run_cli("schools", "duplicates", "--format", "xlsx").returncode == 2


def test_a_transfer_and_a_restore_keep_the_number_and_a_training_clone_gets_new_ones(three_schools, run_cli, tmp_path):
    before = numbers_of("nairobi")
    moved = run_cli("schools", "transfer", "nairobi", "NBI-0001", "--to", "accra", "--accept")
    assert moved.returncode == 0, moved.stderr
    assert numbers_of("accra")["NBI-0001"] == before["NBI-0001"]
    assert run_cli("nairobi", "backup", "--output", str(tmp_path / "n.jsonl.gz")).returncode == 0
    restored = run_cli("schools", "restore", str(tmp_path / "n.jsonl.gz"), "--as", "copy", "--host", "copy.localhost")
    assert restored.returncode == 0, restored.stderr
    assert numbers_of("copy") == before
    cloned = run_cli("schools", "clone", "nairobi", "trainee", "--host", "trainee.localhost")
    assert cloned.returncode == 0, cloned.stderr
    trainee = numbers_of("trainee")
    assert trainee.keys() == before.keys() and not set(trainee.values()) & set(before.values())
    assert all(is_valid(number) for number in trainee.values())


def test_national_numbers_import_all_or_nothing_with_line_numbers(three_schools, run_cli, tmp_path):
    from School.identity.learner_number import check_character

    good = ["ABCDEFGHJ", "KMNPQRSTV"]
    good = [body + check_character(body) for body in good]
    held = numbers_of("accra")["ACC-0001"]
    path = tmp_path / "national.csv"
    path.write_text("school,registration_no,learner_no\n"
                    f"nairobi,NBI-0001,{good[0]}\n"
                    f"nairobi,NBI-0002,{good[0]}\n"
                    f"nairobi,NBI-0003,{good[1][:-1]}0\n"
                    f"nowhere,X,{good[1]}\n"
                    f"nairobi,NBI-0004,{held}\n")
    recount("accra")
    before = numbers_of("nairobi")
    result = run_cli("schools", "learner-numbers", "import", str(path))
    assert result.returncode == 2
    for line in ("line 3: learner number", "repeated (first on line 2)", "line 4: Learner number", "is mistyped",
                 "line 5: unknown school 'nowhere'", "line 6: learner number", "belongs to another child (at accra)"):
        assert line in result.stderr, result.stderr
    assert numbers_of("nairobi") == before
    path.write_text(f"school,registration_no,learner_no\nnairobi,NBI-0001,{good[0].lower()}\naccra,ACC-0002,{good[1]}\n")
    result = run_cli("schools", "learner-numbers", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert numbers_of("nairobi")["NBI-0001"] == good[0] and numbers_of("accra")["ACC-0002"] == good[1]
    assert LearnerNumber.objects.using("default").filter(digest=digest(good[0]), imported=True).exists()


def test_rotating_the_key_re_keys_every_digest_and_refuses_without_a_new_key(three_schools, run_cli, settings):
    numbers = numbers_of("nairobi")
    assert run_cli("schools", "learner-numbers", "rotate-key").returncode == 2
    result = run_cli("schools", "learner-numbers", "rotate-key", env={"LEARNER_DIGEST_KEY_NEW": "a-new-key-0123456789"})
    assert result.returncode == 0, result.stderr
    issued = set(LearnerNumber.objects.using("default").values_list("digest", flat=True))
    assert {digest(number, "a-new-key-0123456789") for number in numbers.values()} <= issued
    assert not {digest(number) for number in numbers.values()} & issued
    held = set(StudentDigest.objects.using("default").filter(school__name="nairobi").values_list("learner", flat=True))
    assert held == {digest(number, "a-new-key-0123456789") for number in numbers.values()}


def test_digests_follow_writes_and_refresh_figures_repairs_them(three_schools, run_cli, settings):
    settings.FIGURES_FOLLOW_DELAY = 0  # recount (and follow) right after each write commits
    held = StudentDigest.objects.using("default").filter(school__name="nairobi")
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="NBI-F1", first_name="Wanjiru", second_name="Kamau",
                               date_of_birth=datetime.date(2015, 1, 2))
    assert held.count() == 6 and held.exclude(fingerprint="").count() == 1
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-F1").update(status=Student.Status.WITHDRAWN)
    assert held.filter(active=False).count() == 1
    with tenant_context("nairobi"):
        Student.objects.get(registration_no="NBI-F1").delete()
    assert held.count() == 5
    with sqlite3.connect(three_schools.db_dir / "nairobi.sqlite3") as db:  # past the model: nothing follows
        db.execute("UPDATE School_student SET status = 'graduated' WHERE registration_no = 'NBI-0001'")
    assert held.filter(active=False).count() == 0
    assert run_cli("schools", "refresh-figures", "--all", "--jobs", "1").returncode == 0
    assert held.filter(active=False).count() == 1
    assert_no_foreign_students_in_default([*numbers_of("nairobi").values(), "Wanjiru", "Kamau", "2015-01-02"])


def test_after_grades_and_statuses_move_the_digests_are_those_a_full_count_makes(three_schools, settings):
    """Promotion day writes grades and statuses only (update_groups): the recount keeps the digests it has and
    flips `active`; what it keeps must be what working every digest out again gives."""
    settings.FIGURES_FOLLOW_DELAY = 0
    held = StudentDigest.objects.using("default").filter(school__name="nairobi")
    born = datetime.date(2015, 1, 2)
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="NBI-F1", first_name="Wanjiru", second_name="Kamau", date_of_birth=born)
        leaving = list(Student.objects.filter(registration_no__in=["NBI-0001", "NBI-F1"]).values_list("pk", flat=True))
        staying = list(Student.objects.exclude(pk__in=leaving).values_list("pk", flat=True))
        Student.objects.update_groups([(leaving, {"grade": "Form 4", "status": Student.Status.GRADUATED}),
                                       (staying, {"grade": "Form 2"})])
    assert held.filter(active=False).count() == 2
    assert store_digests("nairobi", digests_of(school_by_name("nairobi").alias)) == 0  # nothing a full count changes
    # A name is a digest's input: changed by update(), the fingerprint follows.
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-F1").update(first_name="Njeri")
    assert held.filter(fingerprint=fingerprint("Njeri", "Kamau", born, "")).count() == 1
    # A student the digests do not hold yet (written while nothing followed) is worked out in full.
    settings.FIGURES_FOLLOW_DELAY = -1
    with tenant_context("nairobi"):
        Student.objects.create(registration_no="NBI-F2", first_name="Amani", second_name="Otieno", date_of_birth=born)
    settings.FIGURES_FOLLOW_DELAY = 0
    with tenant_context("nairobi"):
        Student.objects.filter(registration_no="NBI-F2").update(status=Student.Status.WITHDRAWN)
    assert held.filter(fingerprint=fingerprint("Amani", "Otieno", born, ""), active=False).count() == 1
    assert store_digests("nairobi", digests_of(school_by_name("nairobi").alias)) == 0


def test_a_school_counted_again_before_its_batch_is_stored_keeps_only_its_later_count(three_schools, settings):
    """Held (a fan-out worker), counts wait for their batch; the `active` flips of a count that a later count of
    the same school superseded must not be written after it."""
    from School.platform.follow import follower
    from School.platform.models import SchoolFigures

    settings.FIGURES_FOLLOW_DELAY = 0
    recount("nairobi")  # every digest in `default`
    held = StudentDigest.objects.using("default").filter(school__name="nairobi")
    follower.hold()
    try:
        with tenant_context("nairobi"):
            Student.objects.filter(registration_no="NBI-0001").update(status=Student.Status.GRADUATED)
        follower.flush()
        with tenant_context("nairobi"):
            Student.objects.filter(registration_no="NBI-0001").update(status=Student.Status.ACTIVE)
        follower.flush()
        assert held.filter(active=False).count() == 0  # nothing stored before the batch
    finally:
        follower.release()
    assert held.filter(active=False).count() == 0
    assert SchoolFigures.objects.using("default").get(school__name="nairobi").graduated == 0
    assert store_digests("nairobi", digests_of(school_by_name("nairobi").alias)) == 0


def test_the_number_is_searched_shown_exported_and_checked_on_import(three_schools, tmp_path):
    from School.records.files import StudentImport, export_lines
    from School.records.table import StudentTableQuery

    number = numbers_of("nairobi")["NBI-0002"]
    with tenant_context("nairobi"):
        found = list(StudentTableQuery(search=number[:6].lower()).queryset().values_list("registration_no", flat=True))
        text = "".join(export_lines(StudentTableQuery(search="NBI-0002").queryset()))
    assert found == ["NBI-0002"]
    assert "learner_no" in text.splitlines()[0] and number in text.splitlines()[1]
    path = tmp_path / "in.csv"
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    path.write_text(f"registration_no,first_name,second_name,learner_no\nN/1,A,B,{wrong}\nN/2,C,D,{number}\n")
    with tenant_context("nairobi"):
        report = StudentImport(path).apply()
    assert not report.ok and not report.written
    assert "line 2 (N/1): learner_no: Learner number" in str(report.errors[0]) and "is mistyped" in str(report.errors[0])
    assert str(report.errors[1]) == f"line 3 (N/2): learner_no: learner number {number} belongs to NBI-0002"
