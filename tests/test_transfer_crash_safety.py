"""kill -9 at every step of send, accept and --all: each student is in one piece, and a rerun finishes the job.

The command is stopped at a named step (School/transfers/checkpoints.py: it
writes a file there and waits), then killed: the strike lands exactly between
two steps, whatever the machine's speed.
"""

import subprocess
import sys
import uuid

import pytest

from School.context import tenant_context
from School.models import Student
from School.transfers import protocol
from School.transfers.checkpoints import ACCEPT_STEPS, SEND_STEPS
from tests.conftest import ROOT
from tests.test_crash_safety import kill_when
from tests.transfer_helpers import default_holds, rows

pytestmark = pytest.mark.sqlite


def start_paused(platform, pause_at, pause_file, *args):
    env = platform.env(SCHOOL_TRANSFER_PAUSE_AT=pause_at, SCHOOL_TRANSFER_PAUSE_FILE=str(pause_file))
    return subprocess.Popen([sys.executable, str(ROOT / "school_manage.py"), *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def kill_at(platform, tmp_path, step, *args):
    pause_file = tmp_path / "paused"
    kill_when(start_paused(platform, step, pause_file, *args), pause_file.exists)
    assert pause_file.read_text() == step.partition("#")[0]


def piece(platform, number):
    """'not transferred', 'transferred' or 'held at the sender'; fails on anything else."""
    nairobi, accra = platform.db_dir / "nairobi.sqlite3", platform.db_dir / "accra.sqlite3"
    (sender,) = rows(nairobi, "SELECT status FROM School_student WHERE registration_no = ?", number)
    copies = rows(accra, "SELECT status FROM School_student WHERE registration_no = ?", number)
    markers = rows(accra, "SELECT count(*) FROM transfers_incomingtransfer m JOIN School_student s ON s.id = m.student_id "
                          "WHERE s.registration_no = ?", number)[0][0]
    outgoing = [state for (state,) in rows(
        nairobi, "SELECT o.state FROM transfers_outgoingtransfer o JOIN School_student s ON s.id = o.student_id "
                 "WHERE s.registration_no = ?", number)]
    if sender == ("active",):
        assert copies == [] and markers == 0, (number, copies)  # never active at both
        return "not transferred"
    assert sender == ("transferred",), (number, sender)
    if copies:
        assert copies == [("active",)] and markers == 1, (number, copies, markers)  # copied once
        return "transferred"
    # Marked out at the sender a moment before the receiver's copy: the record
    # is held at the sender, its transfer "being accepted" until finished.
    assert outgoing == ["accepting"], (number, outgoing)
    return "held at the sender"


def assert_done_once(platform, numbers):
    assert {piece(platform, number) for number in numbers} == {"transferred"}
    envelopes = rows(platform.db_dir / "default.sqlite3", "SELECT state FROM transfers_transfer")
    assert envelopes == [("accepted",)] * len(numbers)


def run(platform, *args):
    return subprocess.run([sys.executable, str(ROOT / "school_manage.py"), *args], cwd=ROOT, env=platform.env(),
                          capture_output=True, text=True, timeout=300)


MOVED = ["NBI-0001", "NBI-0003"]
COMMAND = ["schools", "transfer", "nairobi", *MOVED, "--to", "accra", "--accept"]


@pytest.mark.parametrize("step", SEND_STEPS + ACCEPT_STEPS)
def test_killed_at_each_step_of_send_and_accept_a_rerun_finishes_it(three_schools, tmp_path, step):
    kill_at(three_schools, tmp_path, step, *COMMAND)
    states = {piece(three_schools, number) for number in MOVED}
    assert len(states) == 1  # both students of one step are in the same piece
    assert default_holds(three_schools, *MOVED, "NBIfirst1", "NBIlast3") == set()
    rerun = run(three_schools, *COMMAND)
    assert rerun.returncode == 0, rerun.stderr
    assert_done_once(three_schools, MOVED)
    assert piece(three_schools, "NBI-0002") == "not transferred"


def test_killed_while_accepting_accepting_again_on_the_page_finishes_it(three_schools, tmp_path):
    kill_at(three_schools, tmp_path, "accept:prepared", *COMMAND)
    assert {piece(three_schools, number) for number in MOVED} == {"held at the sender"}
    keys = [uuid.UUID(key) for (key,) in rows(three_schools.db_dir / "default.sqlite3", "SELECT key FROM transfers_transfer")]
    protocol.accept(protocol.school_named("accra"), keys, protocol.Actor("kofi", "accra"))
    assert_done_once(three_schools, MOVED)


@pytest.mark.parametrize("step", ["send:recorded#2", "accept:claimed#2", "accept:prepared#2", "accept:copied#3", "accept:finalized#1"])
def test_all_killed_mid_school_a_rerun_moves_every_student_once(three_schools, tmp_path, step):
    extra = [(f"NBI-1{n:03d}", f"Many{n}", "Pupil") for n in range(450)]  # three batches of --all
    three_schools.add_students("nairobi", extra)
    numbers = [f"NBI-000{n}" for n in range(5)] + [number for number, _, _ in extra]
    command = ["schools", "transfer", "nairobi", "--all", "--to", "accra", "--accept"]
    kill_at(three_schools, tmp_path, step, *command)
    pieces = [piece(three_schools, number) for number in numbers]
    unanswered = rows(three_schools.db_dir / "default.sqlite3", "SELECT count(*) FROM transfers_transfer WHERE state != 'accepted'")
    assert "not transferred" in pieces or unanswered[0][0]  # stopped mid-way
    rerun = run(three_schools, *command)
    assert rerun.returncode == 0, rerun.stderr
    assert_done_once(three_schools, numbers)
    with tenant_context("accra"):
        assert Student.objects.filter(registration_no__startswith="NBI-").count() == len(numbers)
