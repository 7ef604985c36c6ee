"""A `kill -9` in the middle of a register's save leaves all or nothing (issue 35): a real process saving a register
is stopped right after its marks are written, before the commit, and killed; the register is then as before, and
taking it again works."""

import signal
import subprocess
import sys

import pytest

from School.context import tenant_context
from School.register.codes import ABSENT
from School.register.models import Mark, RegisterTaken
from tests.conftest import ROOT
from tests.register_world import register_school
from tests.test_register import take

pytestmark = pytest.mark.sqlite  # MongoDB's transactions are the server's: proven by the offline suite's queries

# In the child: the save's marks are written (bulk_create), then it says so on stdout and waits for a line on
# stdin that never comes, inside the save's transaction: the parent kills it there.
CHILD = """
import sys
from django.db.models import QuerySet
from School.context import current_alias
from School.register import service
real = QuerySet.bulk_create
def written_then_wait(self, objs, *args, **kwargs):
    result = real(self, list(objs), *args, **kwargs)
    print("MARKS WRITTEN", flush=True)
    sys.stdin.readline()
    return result
QuerySet.bulk_create = written_then_wait
service.take(current_alias(), service.Actor(name="operator:crash"), "Form 1 East", service.school_today(),
             {"E-01": ("absent-unexcused", ""), "E-02": ("late", "")})
print("COMMITTED", flush=True)
"""


def stored():
    with tenant_context("nairobi"):
        return (sorted(RegisterTaken.objects.values_list("class_name", "taken_by", "version")),
                sorted(Mark.objects.values_list("student__registration_no", "code")))


def kill_mid_save(platform):
    child = subprocess.Popen([sys.executable, str(ROOT / "school_manage.py"), "nairobi", "shell", "--no-imports", "-c", CHILD],
                             cwd=ROOT, env=platform.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        # Blocks until the child says it is in the middle of its save (or its output ends: it failed).
        lines = iter(child.stdout.readline, "")
        assert any(line.strip() == "MARKS WRITTEN" for line in lines), "the child never reached the middle of its save"
        child.send_signal(signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:  # a failed assertion above: never leave the child waiting

            child.kill()
            child.wait(30)
        child.stdin.close()
        child.stdout.close()
        child.stderr.close()


def test_a_first_save_killed_mid_way_leaves_no_register(platform):
    people = register_school(platform)
    kill_mid_save(platform)
    assert stored() == ([], [])
    take(people["teacher"], marks={"E-01": (ABSENT, "")})  # the teacher saves again: it works
    assert stored() == ([("Form 1 East", "mwalimu", 1)], [("E-01", ABSENT)])


def test_a_change_killed_mid_way_leaves_the_register_as_it_was(platform):
    people = register_school(platform)
    take(people["teacher"], marks={"E-03": (ABSENT, "")})
    before = stored()
    kill_mid_save(platform)  # had removed E-03's mark and written E-01's and E-02's, uncommitted
    assert stored() == before == ([("Form 1 East", "mwalimu", 1)], [("E-03", ABSENT)])
