"""One row per job, in `default` (the registry) beside the schools it names.

Not in each school's database: a job must still be recorded (and fail with
its reason) when its school was suspended or removed, and the platform's
`schools jobs` reads every school's jobs in one query. A school's pages read
them only through `Job.objects.of_school(alias)`.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)


class JobQuerySet(models.QuerySet):
    def of_school(self, alias):
        return self.filter(school=alias)


class Job(models.Model):
    STATE_CHOICES = [(QUEUED, _("queued")), (RUNNING, _("running")), (DONE, _("done")), (FAILED, _("failed"))]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.CharField(max_length=40, db_index=True)
    kind = models.CharField(max_length=60)
    args = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=STATE_CHOICES, default=QUEUED, db_index=True)
    started_by = models.CharField(max_length=150, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=1)
    # host:pid of the worker running it: how a restarted worker finds a job whose process was killed.
    worker = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["school", "-created_at"], name="job_school_recent")]

    def __str__(self):
        return f"{self.kind} {self.id} ({self.school}, {self.state})"

    @property
    def percent(self):
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def finished(self):
        return self.state in (DONE, FAILED)


class ScheduledRun(models.Model):
    """When a schedule (schedules.py) last ran, and how it went: what `schools health` reads."""

    name = models.CharField(max_length=60, unique=True)
    last_started = models.DateTimeField(null=True, blank=True)
    last_finished = models.DateTimeField(null=True, blank=True)
    last_ok = models.DateTimeField(null=True, blank=True)
    last_message = models.TextField(blank=True)

    def __str__(self):
        return self.name
