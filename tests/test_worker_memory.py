"""A worker serving many schools keeps SQLite's memory within SCHOOL_SQLITE_HEAP_MIB.

Each kept connection (one per school and thread) has a page cache that fills
as its school's data is read; without a process-wide bound a worker grows
with every school it serves. Measured in a subprocess: the limit applies to
the whole process, and this test must not set it for the others.
"""

import subprocess
import sys

import pytest

from tests.conftest import ON_MONGODB, ROOT, students_of

pytestmark = pytest.mark.skipif(ON_MONGODB, reason="SQLite's page caches; MongoDB's memory is the server's")

SCHOOLS = 5
STUDENTS = 8000

# Reads every student of every school through the platform's connections,
# then prints how much memory SQLite holds in this process (the library
# Python's sqlite3 module is linked to, asked through ctypes).
READ_EVERY_SCHOOL = f"""
import ctypes, ctypes.util, django
django.setup()
from School.context import tenant_context
from School.models import Student
for n in range({SCHOOLS}):
    with tenant_context(f"mem{{n}}"):
        assert len(list(Student.objects.values_list("registration_no", "first_name", "grade"))) == {STUDENTS}
library = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
library.sqlite3_memory_used.restype = ctypes.c_int64
print(library.sqlite3_memory_used())
"""


@pytest.fixture
def five_large_schools(platform):
    for n in range(SCHOOLS):
        platform.add_school(f"mem{n}", [f"mem{n}.localhost"], students=students_of(f"M{n}", STUDENTS))
    return platform


def sqlite_memory_mib(platform, heap_mib):
    result = subprocess.run(
        [sys.executable, "-c", READ_EVERY_SCHOOL], cwd=ROOT, env=platform.env(SCHOOL_SQLITE_HEAP_MIB=str(heap_mib)),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1]) / 2**20


def test_sqlite_memory_of_a_worker_stays_near_its_limit_however_many_schools_it_reads(five_large_schools):
    unbounded = sqlite_memory_mib(five_large_schools, 1024)
    bounded = sqlite_memory_mib(five_large_schools, 2)
    assert unbounded > 5  # the schools' pages, read once, stay cached: far more than the limit below
    # A soft limit: SQLite recycles cached pages instead of allocating more;
    # what it cannot recycle (each connection's schema) may go a little over.
    assert bounded < 3
