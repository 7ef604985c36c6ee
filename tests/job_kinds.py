"""Job kinds for the queue's tests, loaded by the test worker through SCHOOL_JOB_MODULES."""

import os

from django.utils import timezone, translation

from School.context import current_alias
from School.jobs import kinds
from School.models import Student


@kinds.register("tests.where_am_i")
def where_am_i(job, record=""):
    """What a job sees of its school: the database it reads, its language and time zone."""
    if record:
        with open(record, "a") as log:
            log.write(f"{job.id} {os.getpid()}\n")
    return {
        "alias": current_alias(),
        "language": translation.get_language(),
        "time_zone": timezone.get_current_timezone_name(),
        "students": sorted(Student.objects.values_list("registration_no", flat=True))[:3],
        "pid": os.getpid(),
    }


@kinds.register("tests.always_fails", retries=2, retry_delay=0.1, backoff=2)
def always_fails(job):
    raise RuntimeError("the printer is on fire")
