"""The student table at 20,000 students, current year, in this tree against another commit (main by default).

    python bench/year_table.py [--base main] [--rounds 6] [--requests 200] [--students 20000]

Issue 32 put a year selector on the table (the school's years, kept under the
students' stamp) and a page for earlier years; the current year's table must
cost what it cost before (goal <= 1.05x). Both trees, this one and BASE
checked out in a temporary git worktree, get a data directory of their own
with the same school: 20,000 students in Form 1..4, this year current and
the year before it (so the selector shows). Each round runs one fresh process
per tree, in alternating order, timing `/` through Django's WSGI handler
in-process (no server: the framework's and our code's cost only), twice:

  kept:  the page as a registrar gets it again (the worker's kept page);
  read:  the kept pages dropped before every request, so the rows, count and
         classes are read each time, as after any write to the students.

Prints each round's milliseconds and the median ratio this tree / BASE. The
time is the process's CPU time (time.process_time) around each request, not
the wall clock: on a machine shared with other work the wall clock of two
runs of the same code differed by 3x between rounds; the CPU a request costs
is what the change could have added.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PREPARE = r"""
import datetime, sys
sys.path.insert(0, ".")
import django
django.setup()  # on the data directory this process was given (SCHOOL_DATA_DIR)
from bench.common import make_school
from School.context import tenant_context
from School.school_year.calendar import current_year
from School.school_year.models import SchoolYear
make_school("yeartable", int(sys.argv[1]))
with tenant_context("yeartable"):
    this = current_year("yeartable")
    SchoolYear.objects.create(name=str(this.first_day.year - 1), first_day=this.first_day.replace(year=this.first_day.year - 1),
                              last_day=this.last_day.replace(year=this.last_day.year - 1))
"""

MEASURE = r"""
import io, os, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "multitenant.settings")
from django.core.wsgi import get_wsgi_application
from School.records.kept_pages import forget_pages
app = get_wsgi_application()
status = []
def start(s, headers, exc=None):
    status.append(s)
def one():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "x",
               "SERVER_PORT": "80", "HTTP_HOST": "yeartable.localhost", "wsgi.input": io.BytesIO(b""),
               "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "127.0.0.1"}
    return b"".join(app(environ, start))
body = one()
assert status[-1].startswith("200"), status[-1]
assert body.count(b"YEARTABLE/") >= 50, "the page does not show 50 students"
n = int(sys.argv[1])
def timed(before):
    for _ in range(n // 4):
        before(); one()
    total = 0.0
    for _ in range(n):
        before()
        t = time.process_time(); one(); total += time.process_time() - t
    return total / n * 1000
print(timed(lambda: None), timed(forget_pages))
"""


def environment(data_dir):
    return {**os.environ, "SCHOOL_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "multitenant.settings",
            "DJANGO_LOG_LEVEL": "WARNING"}


def run(tree, data_dir, code, *args):
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=tree, env=environment(data_dir),
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{tree}: {result.stderr.strip()[-1500:]}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--students", type=int, default=20000)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-year-table-"))
    base_tree = scratch / "base"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(base_tree), args.base], cwd=ROOT, check=True)
    try:
        trees = {"this tree": (ROOT, scratch / "data-this"), args.base: (base_tree, scratch / "data-base")}
        for tree, data_dir in trees.values():
            data_dir.mkdir()
            run(tree, data_dir, PREPARE, args.students)
        print(f"the student table at {args.students} students (current year): this tree vs {args.base}, "
              f"CPU ms per request, fresh processes in alternating rounds")
        print(f"{'round':>5} {'kept: this':>11} {'base':>8} {'ratio':>6}   {'read: this':>11} {'base':>8} {'ratio':>6}")
        kept, read = [], []
        for number in range(1, args.rounds + 1):
            order = list(trees.items()) if number % 2 else list(reversed(trees.items()))
            times = {name: [float(x) for x in run(tree, data, MEASURE, args.requests).split()] for name, (tree, data) in order}
            this, base = times["this tree"], times[args.base]
            kept.append(this[0] / base[0])
            read.append(this[1] / base[1])
            print(f"{number:>5} {this[0]:>9.2f}ms {base[0]:>6.2f}ms {kept[-1]:>6.3f}   {this[1]:>9.2f}ms {base[1]:>6.2f}ms {read[-1]:>6.3f}")
        print(f"median ratio, kept page: {statistics.median(kept):.3f}")
        print(f"median ratio, rows read: {statistics.median(read):.3f} (goal <= 1.05)")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
