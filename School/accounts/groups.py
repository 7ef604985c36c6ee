"""The groups every school starts with, made in its own database after each migrate.

post_migrate runs for every database migrated (a new school, the SQLite
template new schools are copied from, `--all migrate` on existing ones), so
no school lacks them. Existing groups get missing permissions added, never
removed: a school may have given a group more.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS

logger = logging.getLogger(__name__)

REGISTRARS = "Registrars"
VIEWERS = "Viewers"
SCHOOL_ADMINS = "School admins"
TEACHERS = "Teachers"


@dataclass(frozen=True)
class GroupSpec:
    name: str
    # "app_label.codename" or "app_label.model.*" for all of a model's permissions
    permissions: tuple
    # May use the staff pages (import, export) and the admin.
    staff: bool


# The school year's calendar, classes and enrolments (School/school_year/api.py): read by all,
# classes and an enrolment's class written by registrars.
YEAR_READS = ("school_year.view_schoolyear", "school_year.view_schoolclass", "school_year.view_enrolment")

SPECS = (
    GroupSpec(VIEWERS, ("School.view_student", *YEAR_READS, "identity.view_guardian", "identity.view_guardianship"), staff=False),
    # A teacher takes the register of the classes they are class teacher of (School/register/).
    GroupSpec(TEACHERS, ("register.add_registertaken",), staff=False),
    GroupSpec(REGISTRARS, ("School.view_student", "School.add_student", "School.change_student", *YEAR_READS,
                           "school_year.add_schoolclass", "school_year.change_schoolclass", "school_year.change_enrolment",
                           # Any class's register, corrections after the day, and the reading pages.
                           "register.add_registertaken", "register.change_registertaken", "register.view_registertaken",
                           # Groups other than a class (a trip, a team) and their members.
                           "register.registergroup.*",
                           # A student's guardians are edited with the student (one person may be several's).
                           "identity.view_guardian", "identity.add_guardian", "identity.change_guardian",
                           "identity.guardianship.*"),
              staff=True),
    GroupSpec(
        SCHOOL_ADMINS,
        (
            "School.student.*",
            *YEAR_READS,
            "school_year.add_schoolclass",
            "school_year.change_schoolclass",
            "school_year.change_enrolment",
            "identity.guardian.*",
            "identity.guardianship.*",
            "auth.user.*",
            "auth.group.*",
            "accounts.invitation.*",
            "security.view_apitoken",
            "security.change_apitoken",
            "security.delete_apitoken",
            "security.view_auditevent",
            "axes.accessattempt.*",
            "otp_totp.view_totpdevice",
            "otp_totp.delete_totpdevice",
            "otp_static.view_staticdevice",
            "otp_static.delete_staticdevice",
            "branding.view_branding",
            "branding.change_branding",
            # Promotion day and confirming the grade ladder (School/school_year/pages/).
            "school_year.change_schoolyear",
            "school_year.change_grade",
            # The daily register: any class's, corrections, the reading pages, the school's reasons and settings.
            "register.registertaken.*",
            "register.absencereason.*",
            "register.registersettings.*",
            "register.registergroup.*",
        ),
        staff=True,
    ),
)
BY_NAME = {spec.name: spec for spec in SPECS}


def _permissions(spec, using):
    found = Permission.objects.using(using).select_related("content_type")
    wanted = set()
    for entry in spec.permissions:
        app_label, _, rest = entry.partition(".")
        model, _, star = rest.partition(".")
        if star == "*":
            wanted |= {(app_label, perm.codename) for perm in found.filter(content_type__app_label=app_label, content_type__model=model)}
        else:
            wanted.add((app_label, rest))
    return [perm for perm in found.filter(codename__in={code for _, code in wanted}) if (perm.content_type.app_label, perm.codename) in wanted]


def ensure_groups(using=DEFAULT_DB_ALIAS):
    """Create the standard groups in `using` (a school's alias), adding missing permissions."""
    for spec in SPECS:
        group, _ = Group.objects.using(using).get_or_create(name=spec.name)
        group.permissions.add(*_permissions(spec, using))


def ensure_groups_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    ensure_groups(using)


def is_staff_group(group):
    spec = BY_NAME.get(group.name) if group is not None else None
    # Groups a school made itself: their members use the staff pages.
    return spec.staff if spec else True
