"""A student's guardians, in the school's own database.

A Guardian is one person (one contact) of the school: the mother of two
siblings is one Guardian with a Guardianship to each. What belongs to the
pair (how they are related, who is called first, whether the child lives
there) is on the Guardianship.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from School.fields import TextLineField

PHONE_LENGTH = 16  # E.164: + and at most 15 digits


class Guardian(models.Model):
    name = TextLineField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=PHONE_LENGTH, blank=True, help_text=_("Stored as +country code and number."))
    other_phone = models.CharField(_("other phone"), max_length=PHONE_LENGTH, blank=True)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        indexes = [models.Index(fields=["phone"], name="guardian_phone_idx"),
                   models.Index(fields=["email"], name="guardian_email_idx")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if not (self.phone or self.other_phone or self.email):
            raise ValidationError(_("A guardian needs a phone or an email, to be reached."))


class Guardianship(models.Model):
    class Relationship(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        GUARDIAN = "guardian", _("Guardian")
        GRANDPARENT = "grandparent", _("Grandparent")
        OTHER = "other", _("Other")

    student = models.ForeignKey("School.Student", on_delete=models.CASCADE, related_name="guardianships")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="guardianships",
                                 verbose_name=_("guardian"))
    position = models.PositiveSmallIntegerField(_("order"), default=1, help_text=_("1 for the first guardian."))
    relationship = models.CharField(_("relationship"), max_length=12, choices=Relationship.choices,
                                    default=Relationship.GUARDIAN)
    primary_contact = models.BooleanField(_("primary contact"), default=False)
    lives_with = models.BooleanField(_("lives with the student"), default=False)
    emergency_contact = models.BooleanField(_("emergency contact"), default=False)

    class Meta:
        verbose_name = _("guardian of a student")
        verbose_name_plural = _("guardians of students")
        ordering = ["position"]  # within a student (by the student would join its table: a $lookup on MongoDB)
        constraints = [models.UniqueConstraint(fields=["student", "guardian"], name="one_guardianship_per_pair")]
        indexes = [models.Index(fields=["student", "position"], name="guardianship_student_idx"),
                   models.Index(fields=["guardian"], name="guardianship_guardian_idx")]

    def __str__(self):
        return f"{self.guardian} ({self.get_relationship_display()})"
