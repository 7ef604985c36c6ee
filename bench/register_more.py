"""bench/register.py's busy morning, class sheet and a year's size (run from there, after its Django set-up)."""

import datetime
import http.client
import json
import os
import random
import sqlite3
import statistics
import threading
import time

from bench.common import make_school, start_gunicorn

CLASSES, CLASS_SIZE = 40, 30
MORNING = "bench_morning"
HOST = "bench-morning.localhost"


def _world(name, classes, size, weekdays="1234567", days_back=100):
    """A school whose current year runs from `days_back` days ago; `classes` classes of `size` students."""
    from School.context import tenant_context
    from School.models import Student
    from School.register import service
    from School.school_year.calendar import current_year, set_year

    make_school(name, 0)
    with tenant_context(name):
        today = service.school_today()
        year = current_year(name)
        set_year(name, year.name, today - datetime.timedelta(days=days_back), today + datetime.timedelta(days=30))
        service.change_settings(name, weekdays=weekdays)
        Student.objects.bulk_create([Student(registration_no=f"C{c:02d}-{n:02d}", first_name=f"F{n}", second_name=f"L{n}",
                                             grade=f"C{c:02d}") for c in range(classes) for n in range(size)], batch_size=2000)
    return today


def _token(name):
    from django.contrib.auth import get_user_model

    from School.context import tenant_context
    from School.security.tokens import create_token

    with tenant_context(name):
        user = get_user_model().objects.create_superuser("bench", "bench@bench.test", "bench-password")
        return create_token(user)[0], user


def _post(port, token, class_number, round_number, today):
    regnos = [f"C{class_number:02d}-{n:02d}" for n in range(CLASS_SIZE)]
    # Each round marks different students absent and late, so every save writes.
    marks = [{"registration_no": regnos[(round_number + k) % CLASS_SIZE], "code": code}
             for k, code in enumerate(["absent-unexcused", "absent-unexcused", "late"])]
    body = json.dumps({"class_name": f"C{class_number:02d}", "date": today.isoformat(), "version": 0, "marks": marks})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    try:
        connection.request("POST", "/api/registers/", body=body, headers={
            "Host": HOST, "Authorization": f"Token {token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError as error:
        status = repr(error)
    finally:
        connection.close()
    return time.perf_counter() - started, status


def _serve(data_dir):
    """gunicorn in deploy/gunicorn.conf.py's shape on the embedded default: 2 x cores + 1 sync workers, 1 thread."""
    workers = os.cpu_count() * 2 + 1
    process, port = start_gunicorn(data_dir, workers, 1, HOST, "/healthz", API_RATE_LIMIT="1000000/min")
    return process, port, workers


def p99(values):
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


def busy_morning(data_dir, rounds):
    today = _world(MORNING, CLASSES, CLASS_SIZE)
    token, _user = _token(MORNING)
    process, port, workers = _serve(data_dir)
    try:
        for class_number in range(CLASSES):  # warm-up: every worker has served, every register exists
            _post(port, token, class_number, 0, today)
        alone, busy, failures = [], [], []
        for round_number in range(1, rounds + 1):
            for class_number in range(CLASSES):  # one save alone, one after the other
                seconds, status = _post(port, token, class_number, round_number * 2, today)
                alone.append(seconds)
                if status != 200:
                    failures.append(status)
            barrier = threading.Barrier(CLASSES)
            results = []

            def teacher(class_number, round_number=round_number):
                barrier.wait()
                results.append(_post(port, token, class_number, round_number * 2 + 1, today))

            threads = [threading.Thread(target=teacher, args=(n,)) for n in range(CLASSES)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            busy += [seconds for seconds, _status in results]
            failures += [status for _seconds, status in results if status != 200]
    finally:
        process.terminate()
        process.wait(30)
    print(f"busy morning: {CLASSES} classes of {CLASS_SIZE} saving at once, {rounds} rounds, gunicorn {workers} workers x 1 thread")
    print(f"busy morning: failures {len(failures)} {sorted(set(map(str, failures)))[:3]}")
    print(f"busy morning: one save alone median {statistics.median(alone) * 1000:.1f} ms, p99 {p99(alone) * 1000:.1f} ms;"
          f" at once median {statistics.median(busy) * 1000:.1f} ms, p99 {p99(busy) * 1000:.1f} ms")
    print(f"busy morning p99 / one save alone: {p99(busy) / statistics.median(alone):.2f} (goal <= 4)")


def _month_with_most_weekdays(first, last):
    best = None
    day = first.replace(day=1)
    while day <= last:
        days = [day + datetime.timedelta(days=n) for n in range(31) if (day + datetime.timedelta(days=n)).month == day.month]
        school_days = [d for d in days if d.isoweekday() <= 5 and first <= d <= last]
        if best is None or len(school_days) > len(best[1]):
            best = (day, school_days)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return best


def class_sheet(requests):
    from django.test import Client

    from School.context import tenant_context
    from School.register import service

    name = "bench_sheet"
    today = _world(name, 1, 60, weekdays="12345", days_back=120)
    _token_value, user = _token(name)
    month, days = _month_with_most_weekdays(today - datetime.timedelta(days=119), today - datetime.timedelta(days=1))
    days = days[:23]
    rng = random.Random(7)
    with tenant_context(name):
        for day in days:
            marks = {f"C00-{n:02d}": (rng.choice(["absent-unexcused", "late", "absent-excused"]), "")
                     for n in rng.sample(range(60), 5)}
            marks = {regno: (code, "sick" if code == "absent-excused" else "") for regno, (code, _r) in marks.items()}
            service.take(name, service.Actor(name="bench"), "C00", day, marks, correction="bench")
    client = Client(HTTP_HOST="bench-sheet.localhost")
    client.post("/accounts/login/", {"username": "bench", "password": "bench-password"})
    sheet_path = f"/register/sheet/?class=C00&month={month:%Y-%m}"
    statuses = (client.get(sheet_path).status_code, client.get("/").status_code)
    assert statuses == (200, 200), statuses

    def timed(path):
        started = time.perf_counter()
        for _ in range(requests):
            client.get(path)
        return (time.perf_counter() - started) / requests

    sheets, tables = [], []
    for round_number in range(6):
        order = [(sheets, sheet_path), (tables, "/")]
        for into, path in order if round_number % 2 == 0 else reversed(order):
            into.append(timed(path))
    ratios = [s / t for s, t in zip(sheets, tables)]
    print(f"class sheet, 60 students x {len(days)} days: median {statistics.median(sheets) * 1000:.2f} ms;"
          f" student table: median {statistics.median(tables) * 1000:.2f} ms")
    print(f"class sheet / student table: {statistics.median(ratios):.2f} (goal <= 1.5)")
    from School.register.kept_sheets import forget_sheets

    uncached = []
    for _ in range(max(5, requests // 4)):  # the first read after a write: computed and rendered whole
        forget_sheets()
        uncached.append(timed_once(client, sheet_path))
    print(f"class sheet computed afresh (after a write): median {statistics.median(uncached) * 1000:.2f} ms")


def timed_once(client, path):
    started = time.perf_counter()
    client.get(path)
    return time.perf_counter() - started


def year_size():
    from django.db import connections

    from School.context import tenant_context
    from School.models import Student
    from School.register.models import Mark, RegisterTaken
    from School.school_year.models import SchoolYear

    name = "bench_year"
    classes, size, days = 34, 30, 190  # 1,020 students
    today = _world(name, classes, size, days_back=days)
    rng = random.Random(11)
    with tenant_context(name):
        path = connections[name].settings_dict["NAME"]

        def size_now():
            connections[name].close()
            with sqlite3.connect(path) as db:
                db.execute("VACUUM")
                return db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]

        before = size_now()
        year = SchoolYear.objects.get(is_current=True)
        students = {}
        for pk, grade in Student.objects.values_list("pk", "grade"):
            students.setdefault(grade, []).append(pk)
        now = datetime.datetime.now(datetime.timezone.utc)
        registers = [RegisterTaken(year=year, class_name=grade, date=today - datetime.timedelta(days=n), session="day",
                                   taken_by="teacher", taken_at=now) for n in range(days) for grade in students]
        RegisterTaken.objects.bulk_create(registers, batch_size=2000)
        marks = []
        for register in RegisterTaken.objects.filter(year=year).only("pk", "class_name"):
            for student in students[register.class_name]:
                draw = rng.random()
                if draw < 0.07:
                    marks.append(Mark(register_id=register.pk, student_id=student, code="absent-unexcused" if draw < 0.05 else "late"))
        Mark.objects.bulk_create(marks, batch_size=5000)
        added = size_now() - before
    count = classes * size
    print(f"a year of registers, {count} students, {len(registers)} registers, {len(marks)} marks:"
          f" {added / 1024 / 1024:.2f} MiB added ({added / count / 1024:.1f} KiB per student)")
