"""`schools learner-numbers NAME | --all`: a learner number for every student that has none, school by school.

Each school is numbered in steps of STEP students: the numbers are claimed in
`default` first (School/identity/registry.py), then written to the school in
one transaction. A `kill -9` leaves every finished step written and at most
one step's claimed numbers unused, never given; a rerun numbers the rest.
"""

import logging

from School.connections import forget_alias
from School.context import tenant_context
from School.identity.registry import number_waiting
from School.operations.fanout import Outcome, Progress, map_schools

logger = logging.getLogger(__name__)


def number_school(school):
    """Outcome of numbering one school (in a fan-out worker): "done" with how many got a number, or "failed"."""
    given = 0
    try:
        with tenant_context(school):
            given = number_waiting(school.alias)
    except Exception as error:  # one broken school must not stop the others
        logger.warning("could not give learner numbers: %s", error, extra={"school": school.name})
        return Outcome(school.name, "failed", detail=str(error) or type(error).__name__)
    finally:
        forget_alias(school.name)
    if given:
        logger.info("%s students given a learner number", given, extra={"school": school.name})
    return Outcome(school.name, "done", detail=str(given))


def number_schools(schools, jobs, stdout, stderr):
    """Number every school of `schools`; returns (students numbered, failed school names)."""
    progress, given, failed = Progress(len(schools), stdout), 0, []
    for outcome in map_schools(number_school, schools, jobs):
        progress.update(outcome)
        if outcome.status == "failed":
            failed.append(outcome.school)
            stderr.write(f"{outcome.school}: {outcome.detail}\n")
        else:
            given += int(outcome.detail)
    stdout.write(f"\nlearner-numbers for {len(schools)} schools: {given} students numbered, {len(failed)} failed\n")
    stdout.flush()
    return given, failed
