"""Run every benchmark and write bench/RESULTS.md: one command, one table of ratios.

    python bench/run_all.py [--quick] [--only SCRIPT ...] [--render]

Each script measures its comparison side by side, in alternating rounds, and
prints medians; this keeps each script's latest output in bench/results/,
pulls the key ratios into one table, and records the dates and the machine.
`--only tenancy.py` reruns one script and keeps the others' latest results;
`--render` runs nothing and rewrites RESULTS.md from bench/results/.
Not part of the test suite.
"""

import argparse
import datetime
import logging
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger("bench.run_all")
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"

RUNS = [
    # (script, full arguments, quick arguments, [(label, regex of the key number, goal)])
    # Many short rounds: this machine's speed swings within seconds (two
    # servers on the same platform measured 0.76x to 1.41x of each other in
    # 4-second rounds), and a short pair of rounds sees the same swing.
    ("tenancy.py", ["--rounds", "15", "--seconds", "2"], ["--rounds", "3", "--seconds", "2"], [
        ("multi-school / single-database throughput, same page", r"1\. tenancy.*?median ratio: ([\d.]+)", ">= 0.95"),
        ("2,000 vs 6 registered schools, pages over 50 vs 3 schools of the same size", r"2\. scale.*?median ratio: ([\d.]+)", ">= 0.95"),
        ("worker memory per extra school served, its connection kept (KiB)", r"([\d]+) KiB per extra school served", "a few + the kept connection (at most SCHOOL_KEPT_CONNECTIONS per thread)"),
    ]),
    ("request_scale.py", ["--rounds", "7", "--requests", "400"], ["--rounds", "3", "--requests", "150"], [
        ("one school's page, 2,000 vs 3 registered schools", r"median ratio: ([\d.]+)", ">= 0.95"),
        ("worker memory per idle registered school (KiB)", r"([\d.]+) KiB per idle registered school", "a few"),
    ]),
    ("identity.py", ["--rounds", "5"], ["--rounds", "2", "--students", "5000", "--schools", "100", "--simulated", "10000"], [
        ("student table at 20,000 students, sex filter vs none, time ratio (default page, count kept)", r"default page \(count kept\)\s+\S+\s+\S+\s+([\d.]+)", "<= 1.05"),
        ("the same, the filter's count read on each request", r"filter chosen \(counted each time\)\s+\S+\s+\S+\s+([\d.]+)", "measured"),
        ("the same, sorted by name, page 3", r"sorted by name, page 3\s+\S+\s+\S+\s+([\d.]+)", "measured"),
        ("one student save (and its recount), learner digests following vs not, time ratio", r"digests following vs not: median ratio ([\d.]+)", "<= 1.1"),
        ("a new student given a learner number vs one bringing its own, time ratio", r"bringing its own: .* ratio ([\d.]+)", "measured"),
        ("schools duplicates over 1,000 SQLite schools of 300 students, seconds", r"schools duplicates --format csv: median ([\d.]+) s", "<= 10"),
        ("the duplicates' search in default at 100,000 schools (simulated digests), seconds", r"search: ([\d.]+) s", "measured"),
        ("the same, process max RSS, MiB", r"process max RSS (\d+) MiB", "measured"),
    ]),
    ("students.py", ["--rounds", "5"], ["--rounds", "2", "--import-rows", "10000"], [
        ("student page 20,000 vs 200 students, time ratio (default page)", r"default page\s+\S+\s+\S+\s+([\d.]+)", "<= 1.5"),
        ("student page 20,000 vs 200 students, time ratio (search paged or re-sorted, 1 in 10 match; its count kept)", r"search\s+\S+\s+\S+\s+([\d.]+)", "<= 1.5"),
        ("student page 20,000 vs 200 students, time ratio (search, 100 match)", r"search number\s+\S+\s+\S+\s+([\d.]+)", "<= 1.5"),
        ("student page 20,000 vs 200 students, time ratio (filter)", r"filter\s+\S+\s+\S+\s+([\d.]+)", "<= 1.5"),
        ("student page 20,000 vs 200 students, time ratio (sort, page 3)", r"sort, page 3\s+\S+\s+\S+\s+([\d.]+)", "<= 1.5"),
        ("student page 20,000 vs 200 students, time ratio (a search typed for the first time, 1 in 10 match)", r"new search\s+\S+\s+\S+\s+([\d.]+)", "<= 1.5"),
        ("import rows/s vs plain bulk_create", r"median ratio: ([\d.]+)", ">= 0.8"),
    ]),
    # Short rounds, many, as for tenancy: a page's rate swung by a factor of 3
    # between neighbouring 3-second rounds while other work shared the cores.
    ("bare_page.py", ["--rounds", "15", "--seconds", "2"], ["--rounds", "3", "--seconds", "2"], [
        ("full student page vs the tutorial's bare table, throughput (gunicorn, 2 sync workers)", r"median ratio ours / bare: ([\d.]+)", ">= 1.5"),
        ("full student page vs the bare table with kept connections (CONN_MAX_AGE=60), throughput", r"median ratio ours / bare, kept: ([\d.]+)", "measured"),
        ("the student table in French / in English, throughput", r"median ratio fr / en: ([\d.]+)", ">= 0.91 (time within 1.1x)"),
        ("the student table signed in as a registrar with a second factor / anonymous, throughput", r"median ratio registrar / en: ([\d.]+)", ">= 0.91 (time within 1.1x)"),
        ("a student's page (registrar) / the bare table, throughput", r"median ratio student / bare: ([\d.]+)", ">= 0.2 (a floor: bench/bare_page.py FLOORS)"),
        ("a student's page with five documents (registrar) / the bare table, throughput", r"median ratio documents / bare: ([\d.]+)", ">= 0.15 (a floor)"),
        ("the transfers list, three incoming (school admin) / the bare table, throughput", r"median ratio transfers / bare: ([\d.]+)", ">= 0.2 (a floor)"),
        ("/platform/ (the operator's dashboard) / the bare table, throughput", r"median ratio platform / bare: ([\d.]+)", ">= 0.25 (a floor)"),
    ]),
    ("security.py", ["--rounds", "7", "--requests", "200"], ["--rounds", "3", "--requests", "60"], [
        ("API read with audit record + throttle vs without, time ratio", r"1\. API read.*?median ratio \(with / without\): ([\d.]+)", "measured"),
        ("failed sign-in with django-axes vs without, time ratio", r"2\. failed admin.*?median ratio \(with / without\): ([\d.]+)", "close to 1"),
    ]),
    ("sign_in.py", ["--rounds", "5", "--requests", "8"], ["--rounds", "3", "--requests", "4"], [
        ("sign-in with a TOTP code vs password alone (pbkdf2), time ratio", r"1\. sign-in.*?median ratio \(with / without\): ([\d.]+)", "<= 1.2"),
        ("signed-in page, verified session vs password-only session, time ratio", r"2\. signed-in page.*?median ratio \(with / without\): ([\d.]+)", "measured (one device look-up)"),
    ]),
    ("locale_page.py", ["--rounds", "15", "--requests", "1000"], ["--rounds", "3", "--requests", "100"], [
        ("student table, a French/Africa/Nairobi school vs one on the defaults, time ratio", r"median ratio \(fr/Nairobi / en/UTC\): ([\d.]+)", "<= 1.05"),
        ("student table with the per-request locale activation vs patched out, time ratio", r"median ratio \(activated / not\): ([\d.]+)", "<= 1.05"),
    ]),
    ("branding.py", ["--rounds", "7", "--requests", "300"], ["--rounds", "3", "--requests", "100"], [
        ("student table of a branded school, with the branding vs patched out, time ratio", r"median ratio \(branding / none\): ([\d.]+)", "<= 1.02"),
        ("student table of a school on the platform's look, with the branding vs patched out, time ratio", r"median ratio \(plain / none\): ([\d.]+)", "<= 1.02"),
        ("branding queries in 20 requests of a warm worker", r"has read the look: (\d+)", "0"),
        ("branding context processor (µs per request)", r"branding context processor: ([\d.]+) µs", "measured"),
    ]),
    ("national.py", ["--sizes", "1000,10000,100000", "--rounds", "7", "--requests", "300"],
     ["--sizes", "1000,10000", "--rounds", "3", "--requests", "150"], [
        ("100,000 schools: refresh after one change (ms)", r"refresh after one change ([\d.]+) ms", "<= 20"),
        ("100,000 schools: registry memory per worker (MiB)", r"registry memory ([\d.]+) MiB", "<= 5"),
        ("100,000 schools: first-seen host, extra (ms)", r"first-seen host ([\d.]+) ms extra", "<= 2"),
        ("provisioning one SQLite school (ms)", r"provisioning ([\d.]+) ms a school", "<= 50"),
        ("schools import rate (schools/min)", r"import (\d+) schools a minute", ">= 1000"),
        ("one school's page, 100,000 vs 3 registered schools", r"median ratio: ([\d.]+)", ">= 0.95"),
    ]),
    ("pending_migrations.py", ["--schools", "2000"], ["--schools", "200"], [
        ("--all migrate, real pending migrations: time per school, N vs N/4", r"time per school ratio ([\d.]+)", "about 1"),
        ("--all migrate: parent peak memory, N vs N/4", r"parent peak ratio ([\d.]+)", "about 1"),
        ("--all migrate: worker peak memory, N vs N/4", r"worker peak ratio ([\d.]+)", "about 1"),
    ]),
    ("migrate_all.py", ["--schools", "200", "--rounds", "3"], ["--schools", "60", "--rounds", "1"], [
        ("--all migrate vs one migrate process per school (nothing pending)", r"one process per school: ([\d.]+)x", ">= 10x"),
        ("--all migrate vs an in-process migrate loop", r"in-process loop:\s+([\d.]+)x", "measured"),
    ]),
    ("busy_writers.py", ["--rounds", "5"], ["--rounds", "2"], [
        ("16 API writers + a 20,000-row import into one school: failed writes", r"writes failed in all: (\d+)", "0"),
        ("... and imports completed", r"imports completed: (\d+ of \d+)", "all"),
        ("16 writers' writes/s / (one writer's x cores), synchronous=FULL", r"synchronous=FULL: .*?cores: ([\d.]+)", ">= 0.8"),
        ("... the machine's CPUs busy meanwhile, clients included (what bounds it)", r"synchronous=FULL: .*?\n.*?with one writer, (\d+%) with", "measured"),
        ("... the same with 4 threads a worker (the MongoDB default): the lock's holder waits for the GIL", r"4 threads a worker: .*?cores: ([\d.]+)", "measured"),
        ("16 writers' writes/s, synchronous=FULL / NORMAL (what FULL costs)", r"FULL costs: \d+ writers at ([\d.]+)x", "measured"),
        ("student page p99 during a 20,000-row import / idle", r"median p99 ratio during import / idle: ([\d.]+)", "<= 2"),
        ("... / beside a process burning as much CPU, no database", r"during import / beside a CPU burner: ([\d.]+)", "measured"),
    ]),
    ("soak.py", ["--requests", "100000"], ["--requests", "40000"], [
        ("soak (8 clients, 20 schools, reads/searches/API writes/imports): errors", r"errors: (\d+)", "0"),
        ("soak: worst worker RSS growth after the warm-up (%)", r"RSS growth after the warm-up: ([\d.]+)%", "<= 10"),
        ("soak: p99 last tenth / first tenth", r"ratio last/first ([\d.]+)", "<= 1"),
    ]),
    ("page_cache.py", ["--rounds", "7", "--requests", "100"], ["--rounds", "3", "--requests", "60"], [
        ("a 20,000-student school among 30 in one worker, SQLite's memory bounded (8 MiB) / not, time ratio: default page",
         r"1\. .*?median ratio \(bounded / unbounded\): ([\d.]+)", "close to 1"),
        ("... a search typed for the first time", r"2\. .*?median ratio \(bounded / unbounded\): ([\d.]+)", "close to 1"),
        ("... a re-sorted page 3", r"3\. .*?median ratio \(bounded / unbounded\): ([\d.]+)", "close to 1"),
    ]),
    ("startup.py", ["--rounds", "21"], ["--rounds", "5"], [
        ("`schools list` vs `django.setup()` alone, process wall time", r"schools list / django.setup\(\): ([\d.]+)x", "<= 1.3"),
    ]),
    ("jobs.py", ["--rounds", "5"], ["--rounds", "2", "--rows", "5000", "--mails", "100"], [
        ("confirming a 20,000-row import: the page answers (ms, the job queued)", r"page answers in a median ([\d.]+) ms", "<= 300"),
        ("the import through the queue (until done) / in the request, time ratio", r"in the request: median ratio: ([\d.]+)", "<= 1.1"),
        ("queueing one mail after a commit vs nothing (ms added)", r"median ([\d.]+) ms added per request", "<= 5"),
    ]),
    ("nightly_backups.py", ["--schools", "1000", "--rounds", "1"], ["--schools", "200", "--rounds", "1"], [
        ("nightly backups of 1,000 schools through the queue (2 workers) / --all backup --jobs 2", r"median ratio: ([\d.]+)", "<= 1.2"),
    ]),
    ("backup.py", ["--rounds", "5"], ["--rounds", "2", "--students", "5000", "--small", "500"], [
        ("backup + restore vs dumpdata + loaddata, 20,000 students", r"median ratio: ([\d.]+)x", ">= 3x"),
        ("peak memory, 20,000 vs 2,000 students (worst step)", r"memory ratio \(worst step\): ([\d.]+)", "<= 1.2"),
        ("schools move of 20,000 students: seconds unavailable", r"unavailable \(suspended\) for a median ([\d.]+)s", "measured"),
    ]),
    ("transfers.py", ["--rounds", "3"], ["--rounds", "1", "--students", "500", "--singles", "10"], [
        ("one student, send + accept (ms; 8 commits in 3 databases)", r"send \+ accept: median ([\d.]+) ms", "<= 100"),
        ("one student, send + accept, in one-student saves (a commit each)", r"ratio: ([\d.]+) saves", "measured"),
        ("a school of 2,000 students moved with --all (s)", r"transfer --all --accept: median ([\d.]+) s", "<= 20"),
        ("--all vs export + import of the same students, time ratio", r"median ratio: ([\d.]+)", "measured"),
    ]),
    ("documents.py", ["--rounds", "5", "--photos", "1000", "--requests", "300"],
     ["--rounds", "3", "--photos", "200", "--requests", "100"], [
        ("store a 5 MiB PDF (content checks, checksum, atomic write, row, usage) vs write + fsync of the same bytes", r"1\. upload.*?median ratio: ([\d.]+)", "measured"),
        ("a photo's thumbnail to a signed-in user vs a static file of the same size, same gunicorn", r"2\. a thumbnail.*?median ratio: ([\d.]+)", "<= 1.2"),
        ("the cheapest signed-in view (/healthz) vs that static file: the floor of the line above", r"median ratio: ([\d.]+) \(/healthz", "measured"),
        ("backup + restore of a school with 1,000 photos vs rows-only backup + restore + tar czf/xzf of its files", r"3\. backup.*?median ratio: ([\d.]+)", "measured"),
        ("student table page with a photo for every student vs none", r"4\. the student table.*?median ratio: ([\d.]+)", "about 1"),
    ]),
    ("operator_view.py", ["--schools", "100000", "--refresh-schools", "2000", "--rounds", "3", "--requests", "20", "--saves", "300"],
     ["--schools", "10000", "--refresh-schools", "300", "--rounds", "2", "--requests", "10", "--saves", "100"], [
        ("100,000 schools: schools report --by school --format csv (s)", r"--format csv \(\d+ rows\): median ([\d.]+) s", "<= 3"),
        ("100,000 schools: schools report, national totals (s)", r"national totals\): median ([\d.]+) s", "<= 1"),
        ("100,000 schools: dashboard page, median (ms)", r"dashboard page: median ([\d.]+) ms", "<= 300"),
        ("100,000 schools: /metrics, median (ms)", r"/metrics: median ([\d.]+) ms", "<= 100"),
        ("schools refresh-figures --all on SQLite (schools/s)", r"= (\d+) schools/s", ">= 500"),
        ("one student save with the figures following vs without, time ratio", r"median ratio ([\d.]+) \(goal <= 1.1\)", "<= 1.1"),
    ]),
    ("indicators.py", ["--schools", "100000", "--rounds", "3", "--requests", "20"],
     ["--schools", "10000", "--rounds", "2", "--requests", "10", "--students", "500"], [
        ("100,000 schools: schools indicators --by national (s)", r"indicators --by national: median ([\d.]+) s", "<= 1"),
        ("... its floor: the start-up alone, `schools --help` (s)", r"the start-up alone \(`schools --help`\): median ([\d.]+) s", "measured"),
        ("100,000 schools: schools census workbook (s)", r"census workbook \([\d.]+ MB\): median ([\d.]+) s", "<= 30"),
        ("100,000 schools: ... indicators --by national with a population by age loaded (s)", r"with a population by age loaded \(GER, NER[^)]*\): median ([\d.]+) s", "<= 1"),
        ("100,000 schools: platform attendance rate and schools with no register today (ms)", r"no register today: median ([\d.]+) ms", "<= 1000"),
        ("100,000 schools: dashboard with the indicators, median (ms)", r"dashboard page with the indicators: median ([\d.]+) ms", "<= 300"),
        ("one school's aggregates after a promotion or a register, 1,000 students (ms)", r"aggregates counted and stored: median ([\d.]+) ms", "<= 50"),
    ]),
    ("register.py", ["--rounds", "7", "--saves", "40"], ["--rounds", "3", "--saves", "15", "--morning-rounds", "2", "--sheet-requests", "20"], [
        ("saving a register: 40 marks changed vs one, time ratio (School/register/service.py)", r"median ratio forty / one: ([\d.]+)", "<= 2"),
        ("the busy morning: 40 classes saving at once (gunicorn in deploy/'s shape), failures", r"busy morning: failures (\d+)", "0"),
        ("the busy morning: p99 of the 40 saves at once / one save alone (median)", r"busy morning p99 / one save alone: ([\d.]+)", "<= 4"),
        ("the class sheet, 60 students x 23 days, vs the student table, time ratio", r"class sheet / student table: ([\d.]+)", "<= 1.5"),
        ("... the class sheet computed afresh, as after a write (ms)", r"class sheet computed afresh.*?median ([\d.]+) ms", "measured"),
        ("a year of registers for a 1,000-student school: database size added (MiB)", r"a year of registers.*?: ([\d.]+) MiB added", "measured"),
    ]),
    ("promotion.py", ["--rounds", "7", "--schools", "1000", "--all-rounds", "2"],
     ["--rounds", "3", "--schools", "100", "--all-rounds", "1"], [
        ("`NAME promote` of 2,000 students, whole CLI process (s)", r"median: promote ([\d.]+) s", "<= 2"),
        ("... vs `NAME export_students` of the same school, time ratio", r"baseline [\d.]+ s, ratio ([\d.]+)", "measured"),
        ("`--all promote` over 1,000 schools of 300 students (schools/s)", r"--all promote: ([\d.]+) schools/s", ">= 50"),
        ("... vs `--all export_students` of the same schools, time ratio", r"vs export ratio ([\d.]+)", "measured"),
    ]),
    ("year_table.py", ["--rounds", "8", "--requests", "300"], ["--rounds", "3", "--requests", "100", "--students", "5000"], [
        ("student table at 20,000 students, current year, this tree vs main, rows read (CPU time ratio)", r"median ratio, rows read: ([\d.]+)", "<= 1.05"),
        ("... the same, the worker's kept page", r"median ratio, kept page: ([\d.]+)", "measured"),
    ]),
    ("student_history.py", ["--rounds", "7", "--requests", "200"], ["--rounds", "3", "--requests", "50"], [
        ("a student's page with 6 years of history vs with 1, time ratio", r"median ratio \(6 years / 1 year\): ([\d.]+)", "<= 1.1"),
    ]),
]


def version(module):
    return subprocess.run([sys.executable, "-c", f"import {module}; print({module}.__version__)"],
                          capture_output=True, text=True).stdout.strip()


def run(script, arguments):
    """Runs one script and keeps its output; False when it failed (a page check, a crash).

    A failed script's output replaces its earlier one all the same: RESULTS.md
    then shows "not measured" for it, never a figure older than the code.
    """
    print(f"running bench/{script} {' '.join(arguments)}", flush=True)
    load_before = os.getloadavg()[0]
    result = subprocess.run([sys.executable, str(BENCH / script), *arguments], cwd=ROOT, capture_output=True, text=True)
    output = result.stdout + (f"\n(exit status {result.returncode})\n{result.stderr[-2000:]}" if result.returncode else "")
    # How busy the machine was (other work shares its cores): the ratios
    # are side by side, the absolute rates are not comparable between runs.
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores"
    header = f"# python bench/{script} {' '.join(arguments)}\n# measured on {datetime.date.today()}, {load}\n"
    saved_output(script).write_text(header + output.strip() + "\n")
    if result.returncode:
        logger.error("bench/%s FAILED (exit status %s):\n%s", script, result.returncode, result.stderr[-2000:])
    return result.returncode == 0


def saved_output(script):
    return RESULTS / script.replace(".py", ".txt")


def render(machine):
    """Writes RESULTS.md; returns its table's lines and the (script, label) of figures its output did not give."""
    rows, sections, missing = [], [], []
    for script, _full, _quick, keys in RUNS:
        path = saved_output(script)
        if not path.exists():
            rows += [(label, "not measured", goal, script) for label, _pattern, goal in keys]
            continue
        command, measured_on, output = path.read_text().split("\n", 2)
        for label, pattern, goal in keys:
            match = re.search(pattern, output, re.S)
            rows.append((label, match.group(1) if match else "not measured", goal, script))
            if not match:
                missing.append((script, label))
        sections += [f"## `{command.lstrip('# ')}` ({measured_on.lstrip('# ')})", "", "```", output.strip(), "```", ""]
    lines = [
        "# Benchmark results", "",
        f"Written by `python bench/run_all.py`; the machine: {machine}. Every comparison is measured side by side"
        " in one run, in alternating rounds, median reported; absolute numbers drift with the machine's load, the"
        " ratios are the result. Each section below says when it was measured.", "",
        "Commands: `python bench/run_all.py` runs every script and writes this file, `--only SCRIPT ...` reruns"
        " some and keeps the others' sections, `--render` rewrites it from `bench/results/`; each section's heading"
        " is the exact command of its script. A script that fails (a page check) or no longer prints a figure"
        " makes run_all exit 1, and its figures read \"not measured\". One in-process request of the student"
        " table against an earlier commit is measured apart, by `python ../shared/tools/page_cost.py --base REF"
        " --rounds 4 --requests 400`.", "",
        "| measure | result | goal | script |", "| --- | --- | --- | --- |",
        *(f"| {label} | {value} | {goal} | `{script}` |" for label, value, goal, script in rows), "",
        *sections,
    ]
    (BENCH / "RESULTS.md").write_text("\n".join(lines))
    return lines[: 8 + len(rows)], missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller sizes")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="run only these scripts, keep the others' results")
    parser.add_argument("--render", action="store_true", help="run nothing; rewrite RESULTS.md from bench/results/")
    args = parser.parse_args()
    logging.basicConfig(format="%(levelname)s %(message)s")
    known = [script for script, *_ in RUNS]
    unknown = sorted(set(args.only or ()) - set(known))
    if unknown:
        parser.error(f"unknown script(s) {', '.join(unknown)}; known: {', '.join(known)}")
    RESULTS.mkdir(exist_ok=True)
    failed = [
        script for script, full, quick, _keys in RUNS
        if not args.render and (not args.only or script in args.only) and not run(script, quick if args.quick else full)
    ]
    machine = (f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
               f"Django {version('django')}, gunicorn {version('gunicorn')}")
    table, missing = render(machine)
    print("\n".join(table))
    for script, label in missing:
        # A figure its script no longer prints (its output changed): as loud as a failed run.
        logger.error("bench/%s printed no figure for %r", script, label)
        failed.append(script)
    failed = sorted(set(failed))
    if failed:
        sys.exit(f"FAILED: {', '.join(failed)} (their figures in RESULTS.md read 'not measured'; see bench/results/)")


if __name__ == "__main__":
    main()
