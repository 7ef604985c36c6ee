"""Scheduled work, run by the queue's own scheduler (Huey's periodic tasks), not by cron lines.

A feature registers what to run under a name; when is a setting,
JOB_SCHEDULES[name], a cron-like "MINUTE HOUR DAY MONTH WEEKDAY" in UTC
(env SCHOOL_SCHEDULE_<NAME>; "off" turns one off). Each run is recorded
(ScheduledRun) and `schools health` flags a schedule whose last good run is
older than SCHEDULE_STALE_HOURS.

    @schedules.scheduled("backups")
    def nightly_backups():
        ...            # runs in a worker, as no school: submit per-school jobs from here
"""

import datetime
import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError
from django.db.models import Q
from django.utils import timezone

from School.jobs.models import ScheduledRun

logger = logging.getLogger(__name__)

_scheduled = {}


class BadSchedule(ValueError):
    pass


def scheduled(name):
    def decorator(func):
        _scheduled[name] = func
        return func

    return decorator


def spec_of(name):
    """The schedule's cron-like text from the settings, or "" when it is off."""
    spec = settings.JOB_SCHEDULES.get(name, "").strip()
    return "" if spec.lower() in ("", "off") else spec


def validator(spec):
    from huey import crontab  # with the queue itself (broker.py), not at every start-up

    fields = spec.split()
    if len(fields) != 5:
        raise BadSchedule(f"a schedule is MINUTE HOUR DAY MONTH WEEKDAY, not {spec!r}")
    minute, hour, day, month, weekday = fields
    return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday)


def active():
    """[(name, spec, function)] of every registered schedule that is on."""
    return [(name, spec_of(name), func) for name, func in sorted(_scheduled.items()) if spec_of(name)]


CLAIMED_FOR = datetime.timedelta(seconds=55)  # Huey's scheduler fires a periodic task once a minute


def _claim(name, now):
    """True for the one worker that may run `name` this minute (every worker's scheduler fires it)."""
    runs = ScheduledRun.objects.using(DEFAULT_DB_ALIAS)
    try:
        runs.get_or_create(name=name)
    except IntegrityError:
        pass  # another worker made the row at the same moment
    free = Q(last_started__isnull=True) | Q(last_started__lt=now - CLAIMED_FOR)
    return runs.filter(free, name=name).update(last_started=now) == 1


def run(name, force=False):
    """Run schedule `name` now (unless another worker already did this minute), recording how it went."""
    runs = ScheduledRun.objects.using(DEFAULT_DB_ALIAS)
    now = timezone.now()
    if not _claim(name, now) and not force:
        logger.info("schedule %s already run by another worker", name)
        return
    runs.filter(name=name).update(last_started=now)
    try:
        message = _scheduled[name]() or ""
    except Exception as error:
        logger.exception("schedule %s failed", name)
        runs.filter(name=name).update(last_finished=timezone.now(), last_message=f"failed: {error}"[:1000])
        raise
    now = timezone.now()
    runs.filter(name=name).update(last_finished=now, last_ok=now, last_message=str(message)[:1000])
    logger.info("schedule %s done: %s", name, message)


def stale_after():
    return datetime.timedelta(hours=settings.SCHEDULE_STALE_HOURS)


def _platform_since():
    """When the platform's registry began (its first school): a schedule that never ran is stale only a day after."""
    from School.models import School

    return School.objects.using(DEFAULT_DB_ALIAS).order_by("created_at").values_list("created_at", flat=True).first()


def states(now=None):
    """[{"name", "schedule", "last_ok", "last_message", "stale"}] of every schedule that is on."""
    now = now or timezone.now()
    recorded = {row.name: row for row in ScheduledRun.objects.using(DEFAULT_DB_ALIAS).all()}
    since = _platform_since() or now
    out = []
    for name, spec, _func in active():
        row = recorded.get(name)
        last_ok = row.last_ok if row else None
        out.append({
            "name": name, "schedule": spec, "last_ok": last_ok, "last_message": row.last_message if row else "",
            "stale": now - (last_ok or since) > stale_after(),
        })
    return out
