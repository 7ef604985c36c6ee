"""The platform calendar or national ladder into many schools, through the fan-out.

Each school is brought in line in a worker process (national.py decides
what it may write there); a school that refuses (its own years leave no
room, a grade in use left out of the ladder) is listed with its reason and
the others go on. Every step is repeatable: after a crash, the same command
again skips the schools that are up to date.
"""

import logging
import time
from collections import Counter
from dataclasses import dataclass

from School.availability import unavailable_reason
from School.connections import forget_alias
from School.context import tenant_context
from School.operations.clusters import cluster_of
from School.operations.fanout import Progress, map_schools
from School.school_year.calendar import CalendarError
from School.school_year.ladder import LadderError
from School.school_year.national import KEPT, UP_TO_DATE, apply_ladder, apply_year
from School.utils import all_schools, school_by_name

logger = logging.getLogger(__name__)

REFUSED, FAILED, APPLIED = "refused", "failed", "applied"
CHUNK = 25


class TargetError(ValueError):
    """Schools that cannot be named so; the message says why."""


@dataclass(frozen=True)
class Applied:
    school: str
    status: str  # APPLIED, UP_TO_DATE, KEPT, REFUSED, FAILED
    detail: str = ""


def target_schools(all=False, names=(), cluster=""):
    """The SchoolInfos named by --all, --school NAME ... or --cluster NAME."""
    if all:
        return all_schools()
    if names:
        schools = []
        for name in dict.fromkeys(names):
            school = school_by_name(name)
            if school is None:
                raise TargetError(f"unknown school {name!r}")
            schools.append(school)
        return schools
    if cluster:
        schools = [school for school in all_schools() if cluster_of(school) == cluster]
        if not schools:
            raise TargetError(f"no school is on cluster {cluster!r}")
        return schools
    raise TargetError("name the schools: --all, --school NAME ... or --cluster NAME")


def _apply_one(school, kind, payload, override):
    try:
        with tenant_context(school):
            if kind == "ladder":
                outcomes = [apply_ladder(school.alias, payload[0], payload[1], override, *payload[2:])]
            else:
                outcomes = [apply_year(school.alias, year, override) for year in payload]
    except (CalendarError, LadderError) as error:
        return Applied(school.name, REFUSED, str(error))
    except Exception as error:  # one broken school must not stop the others
        reason = unavailable_reason(error)
        if reason is None:
            logger.exception("platform calendar not applied", extra={"school": school.name})
        return Applied(school.name, FAILED, reason or str(error) or type(error).__name__)
    finally:
        forget_alias(school.name)
    if all(outcome == UP_TO_DATE for outcome in outcomes):
        return Applied(school.name, UP_TO_DATE)
    if KEPT in outcomes:
        return Applied(school.name, KEPT, "the school changed it: kept (--override replaces it)")
    return Applied(school.name, APPLIED, ", ".join(outcomes))


def _apply_chunk(schools, kind, payload, override):
    return [_apply_one(school, kind, payload, override) for school in schools]


def roll_out(schools, kind, payload, override, jobs, stdout, stderr):
    """Apply the years (kind "calendar", payload [year_payload]) or the ladder (kind "ladder", payload (names, finals))
    to every school; returns Counter of statuses."""
    started = time.monotonic()
    progress = Progress(len(schools), stdout)
    counts = Counter()
    size = max(1, min(CHUNK, len(schools) // (4 * jobs)))
    chunks = [schools[start:start + size] for start in range(0, len(schools), size)]
    for chunk in map_schools(_apply_chunk, chunks, jobs, kind, payload, override):
        for applied in chunk:
            progress.update(applied)
            counts[applied.status] += 1
            if applied.status in (REFUSED, FAILED, KEPT):
                stderr.write(f"{applied.school}: {applied.status}: {applied.detail}\n")
    seconds = time.monotonic() - started
    detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    stdout.write(f"\n{'grade ladder' if kind == 'ladder' else 'calendar'} for {len(schools)} schools in {seconds:.1f}s: {detail}\n")
    stdout.flush()
    return counts
