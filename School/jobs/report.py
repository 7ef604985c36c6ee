"""The queue at a glance, for `schools jobs`, the platform dashboard and /metrics: never per school in metrics.

Depth is what the broker holds (ready, and retries waiting for their delay);
the oldest waiting job and the failures of the last day come from Job rows.
"""

import datetime

from django.db.models import Count, Min
from django.utils import timezone

from School.jobs import broker
from School.jobs.models import FAILED, QUEUED, STATES, Job

DAY = datetime.timedelta(days=1)


def queue_summary(school=None):
    """{"queue", "waiting" (None when the broker does not answer), "oldest_waiting", "failed_last_day", "states"}."""
    jobs = Job.objects.all() if school is None else Job.objects.of_school(school)
    try:
        waiting = broker.waiting() if school is None else None
        reachable = True
    except Exception:  # the broker is down: say so, the rest still stands
        waiting, reachable = None, False
    oldest = jobs.filter(state=QUEUED).aggregate(oldest=Min("created_at"))["oldest"]
    since = timezone.now() - DAY
    by_state = dict(jobs.values_list("state").annotate(count=Count("pk")).values_list("state", "count"))
    return {
        "queue": broker.describe(),
        "reachable": reachable,
        "waiting": waiting,
        "oldest_waiting": oldest,
        "failed_last_day": jobs.filter(state=FAILED, finished_at__gte=since).count(),
        "states": {state: by_state.get(state, 0) for state in STATES},
    }


def outcomes_since(since):
    """{state: count} of jobs that ended since `since` (for /metrics: the platform's, no school named)."""
    ended = Job.objects.filter(finished_at__gte=since).values_list("state").annotate(count=Count("pk"))
    return dict(ended.values_list("state", "count"))
