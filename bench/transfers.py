"""Transfers between schools (issue 23), on the embedded default (SQLite).

    python bench/transfers.py [--rounds 3] [--students 2000] [--singles 30]

1. One student, send + accept (protocol calls in this process, as a page's
   two requests run them): median milliseconds. Goal <= 100 ms. Side by
   side, one student saved (one commit): a transfer makes 8 commits in three
   databases, so on a disk whose fsync is slow the commits dominate; run with
   TMPDIR=/dev/shm to see the cost without the disk.
2. A school of 2,000 students moved with
   `schools transfer SRC --all --to DST --accept` (a school_manage.py process,
   as an operator runs it), side by side in alternating rounds with what
   people do today: `SRC export_students --output F` + `DST import_students F`
   (which moves no history, leaves the sender's records active, and puts the
   data in a file). Goal <= 20 s; ratio = transfer / export+import.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import setup_django  # noqa: E402

DATA_DIR = setup_django("bench-transfers-")

from bench.common import env_for, make_school  # noqa: E402
from School.context import tenant_context  # noqa: E402
from School.models import Student  # noqa: E402
from School.transfers import protocol  # noqa: E402

ENV = env_for(DATA_DIR)


def manage(*args):
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "school_manage.py"), *args], cwd=ROOT, env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def one_student(singles):
    make_school("single_src", singles)
    make_school("single_dst", 0)
    source, target = protocol.school_named("single_src"), protocol.school_named("single_dst")
    with tenant_context(source):
        students = list(Student.objects.order_by("pk"))
    timings, saves = [], []
    for student in students:
        started = time.perf_counter()
        student.grade = "Form 4"
        student.save()
        saves.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        (row,) = protocol.send(source, target, [student], protocol.Actor("bench", source.name))
        protocol.accept(target, [row.key], protocol.Actor("bench", target.name))
        timings.append((time.perf_counter() - started) * 1000)
    return timings, saves


def whole_school(round_number, students, folder):
    src, dst, dst_import = f"all_src{round_number}", f"all_dst{round_number}", f"imp_dst{round_number}"
    make_school(src, students)
    make_school(dst, 0)
    make_school(dst_import, 0)
    file = folder / f"{src}.csv"
    if round_number % 2:  # alternate which goes first
        plain = manage(src, "export_students", "--output", str(file)) + manage(dst_import, "import_students", str(file))
        moved = manage("schools", "transfer", src, "--all", "--to", dst, "--accept")
    else:
        moved = manage("schools", "transfer", src, "--all", "--to", dst, "--accept")
        # The sender's students are transferred now: export what they were (status filter).
        plain = manage(src, "export_students", "--status", "transferred", "--output", str(file)) + manage(
            dst_import, "import_students", str(file))
    with tenant_context(dst):
        assert Student.objects.count() == students
    with tenant_context(dst_import):
        assert Student.objects.count() == students
    return moved, plain


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--singles", type=int, default=30)
    args = parser.parse_args()

    timings, saves = one_student(args.singles)
    print(f"1. one student, send + accept: median {statistics.median(timings):.1f} ms "
          f"(min {min(timings):.1f}, max {max(timings):.1f}, {len(timings)} students; goal <= 100 ms); "
          f"one student saved: median {statistics.median(saves):.1f} ms; "
          f"ratio: {statistics.median(timings) / statistics.median(saves):.1f} saves")

    folder = Path(tempfile.mkdtemp(prefix="bench-transfers-files-"))
    moves, plains = [], []
    for round_number in range(args.rounds):
        moved, plain = whole_school(round_number, args.students, folder)
        moves.append(moved)
        plains.append(plain)
        print(f"   round {round_number + 1}: transfer --all {moved:.2f} s, export + import {plain:.2f} s")
    print(f"2. a school of {args.students} students, transfer --all --accept: median {statistics.median(moves):.2f} s "
          f"(goal <= 20 s); export + import of the same students: median {statistics.median(plains):.2f} s; "
          f"median ratio: {statistics.median(m / p for m, p in zip(moves, plains)):.2f}")


if __name__ == "__main__":
    main()
