"""Run every benchmark and write bench/RESULTS.md: one command, one table of ratios.

    python bench/run_all.py [--quick]

Each script measures its comparison side by side, in alternating rounds, and
prints medians; this collects their output, pulls the key ratios into one
table, and records the date and the machine. Not part of the test suite.
"""

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

RUNS = [
    # (script, full arguments, quick arguments, [(label, regex of the key number, goal)])
    ("tenancy.py", ["--rounds", "6", "--seconds", "5"], ["--rounds", "3", "--seconds", "2"], [
        ("multi-school / single-database throughput, same page", r"1\. tenancy.*?median ratio: ([\d.]+)", ">= 0.95"),
        ("2,000 vs 3 registered schools, pages over 50 vs 3 schools", r"2\. scale.*?median ratio: ([\d.]+)", ">= 0.95"),
        ("worker memory per extra school served (KiB)", r"([\d]+) KiB per extra school served", "a few"),
    ]),
    ("request_scale.py", ["--rounds", "7", "--requests", "400"], ["--rounds", "3", "--requests", "150"], [
        ("one school's page, 2,000 vs 3 registered schools", r"median ratio: ([\d.]+)", ">= 0.95"),
        ("worker memory per idle registered school (KiB)", r"([\d.]+) KiB per idle registered school", "a few"),
    ]),
    ("students.py", ["--rounds", "5"], ["--rounds", "2", "--import-rows", "10000"], [
        ("student page 20,000 vs 200 students, time ratio (default page)", r"default page\s+\S+\s+\S+\s+([\d.]+)", "close to 1"),
        ("import rows/s vs plain bulk_create", r"median ratio: ([\d.]+)", "measured"),
    ]),
    ("migrate_all.py", ["--schools", "200", "--rounds", "3"], ["--schools", "60", "--rounds", "1"], [
        ("--all migrate vs one migrate process per school (nothing pending)", r"one process per school: ([\d.]+)x", ">= 10x"),
        ("--all migrate vs an in-process migrate loop", r"in-process loop:\s+([\d.]+)x", "measured"),
    ]),
]


def version(module):
    return subprocess.run([sys.executable, "-c", f"import {module}; print({module}.__version__)"],
                          capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller sizes")
    args = parser.parse_args()
    outputs, rows = [], []
    for script, full, quick, keys in RUNS:
        arguments = quick if args.quick else full
        print(f"running bench/{script} {' '.join(arguments)}", flush=True)
        result = subprocess.run([sys.executable, str(BENCH / script), *arguments], cwd=ROOT, capture_output=True, text=True)
        output = result.stdout + (f"\n(exit status {result.returncode})\n{result.stderr[-2000:]}" if result.returncode else "")
        outputs.append((script, arguments, output))
        for label, pattern, goal in keys:
            match = re.search(pattern, output, re.S)
            rows.append((label, match.group(1) if match else "not measured", goal, script))
    machine = (f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
               f"Django {version('django')}, gunicorn {version('gunicorn')}")
    lines = [
        "# Benchmark results", "",
        f"Written by `python bench/run_all.py{' --quick' if args.quick else ''}` on {datetime.date.today()}"
        f" on {machine}. Every comparison is measured side by side in one run, in alternating rounds, median"
        " reported; absolute numbers drift with the machine's load, the ratios are the result.", "",
        "| measure | result | goal | script |", "| --- | --- | --- | --- |",
        *(f"| {label} | {value} | {goal} | `{script}` |" for label, value, goal, script in rows), "",
    ]
    for script, arguments, output in outputs:
        lines += [f"## `python bench/{script} {' '.join(arguments)}`", "", "```", output.strip(), "```", ""]
    (BENCH / "RESULTS.md").write_text("\n".join(lines))
    print("\n".join(lines[:8 + len(rows)]))


if __name__ == "__main__":
    main()
