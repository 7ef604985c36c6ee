"""What the platform and each school keep about a transfer.

* Transfer: the envelope, in `default` only (School.router.REGISTRY_MODELS):
  which transfer, which schools, its state and its times. Never a student's
  data: that stays in the schools' own databases.
* OutgoingTransfer: at the sending school, the student sent, the note, and
  what the sender needs to finish or show the transfer (the record itself is
  the sender's Student row until the receiver holds its copy).
* IncomingTransfer: at the receiving school, written in the same transaction
  as the copy of the record; its unique key is what makes the copy happen once.
* CarriedHistory: the history of the record at the schools it came from.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from School.fields import NoteField


class State(models.TextChoices):
    PENDING = "pending", _("Pending")
    # Accepted by the receiver, the record on its way: a rerun or accepting again finishes it.
    ACCEPTING = "accepting", _("Being accepted")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (State.PENDING, State.ACCEPTING)


class Transfer(models.Model):
    key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    source = models.CharField(max_length=40)
    target = models.CharField(max_length=40)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["source", "state"], name="transfer_source_state_idx"),
            models.Index(fields=["target", "state"], name="transfer_target_state_idx"),
        ]

    def __str__(self):
        return f"{self.key} {self.source} -> {self.target} ({self.state})"


class OutgoingTransfer(models.Model):
    key = models.UUIDField(unique=True)
    student = models.ForeignKey("School.Student", on_delete=models.CASCADE, related_name="outgoing_transfers")
    to_school = models.CharField(max_length=40)
    to_display_name = models.CharField(max_length=200)
    note = NoteField(blank=True)
    # A copy of the envelope's state, for this school's pages; the envelope decides.
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    # Set when the receiver accepts: what the copy gets (the number: only when
    # not the same as here), kept so that a rerun copies the same.
    prior_status = models.CharField(max_length=12, blank=True)
    registration_no_there = models.CharField(max_length=64, blank=True)
    decline_reason = NoteField(blank=True)
    sent_by = models.CharField(max_length=150, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["student", "state"], name="outgoing_student_state_idx")]

    def __str__(self):
        return f"{self.key} -> {self.to_school} ({self.state})"


class IncomingTransfer(models.Model):
    key = models.UUIDField(unique=True)
    student = models.ForeignKey("School.Student", on_delete=models.CASCADE, related_name="incoming_transfers")
    from_school = models.CharField(max_length=40)
    from_display_name = models.CharField(max_length=200)
    registration_no_there = models.CharField(max_length=64, blank=True)
    accepted_by = models.CharField(max_length=150, blank=True)
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-accepted_at", "-pk"]

    def __str__(self):
        return f"{self.key} <- {self.from_school}"


class CarriedHistory(models.Model):
    """One line of a record's history at an earlier school (its admin log, its own earlier moves)."""

    student = models.ForeignKey("School.Student", on_delete=models.CASCADE, related_name="carried_history")
    transfer_key = models.UUIDField()
    position = models.IntegerField()
    at = models.DateTimeField()
    school = models.CharField(max_length=200)
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["transfer_key", "position"], name="carried_history_once"),
        ]
        indexes = [models.Index(fields=["student", "at"], name="carried_history_student_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d} {self.school}: {self.action}"
