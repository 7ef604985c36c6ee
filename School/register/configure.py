"""The school's register settings, checked and changed by one piece of code for the page and `register_settings`.

    changes = check(sessions="two", weekdays="123456", follow_up_below="85", absence_mails="on", add_reasons=["Harvest"])
    apply(using, changes)

Every value is optional (None: keep what is stored) and may be text as a form
or the command line gives it. Bad input raises RegisterError with one line in
the active language (a command's is English) and nothing is written; `apply`
writes the settings and new reasons together.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from School.register import service
from School.register.models import AbsenceReason

REASON_LENGTH = AbsenceReason._meta.get_field("name").max_length
ON, OFF = ("on", "yes", "true", "1"), ("off", "no", "false", "0")


@dataclass
class Changes:
    settings: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)


def check(sessions=None, weekdays=None, follow_up_below=None, absence_mails=None, add_reasons=()):
    changes = Changes()
    if sessions is not None:
        if str(sessions) not in ("one", "two"):
            raise service.RegisterError(_("Registers a day: one, or two (morning and afternoon), not %(given)s.")
                                        % {"given": sessions})
        changes.settings["two_sessions"] = str(sessions) == "two"
    if weekdays is not None:
        digits = "".join(sorted(set(str(weekdays))))
        if not digits or any(digit not in "1234567" for digit in digits):
            raise service.RegisterError(
                _("School days: at least one of the ISO digits 1 (Monday) to 7 (Sunday), e.g. 12345, not “%(given)s”.")
                % {"given": weekdays})
        changes.settings["weekdays"] = digits
    if follow_up_below is not None:
        try:
            percent = int(str(follow_up_below).strip())
        except ValueError:
            percent = 0
        if not 1 <= percent <= 100:
            raise service.RegisterError(_("Follow-up below: a percentage from 1 to 100, not %(given)s.")
                                        % {"given": follow_up_below})
        changes.settings["follow_up_below"] = percent
    if absence_mails is not None:
        answer = str(absence_mails).strip().lower() if not isinstance(absence_mails, bool) else ("on" if absence_mails else "off")
        if answer not in ON + OFF:
            raise service.RegisterError(_("Absence mails: on or off, not %(given)s.") % {"given": absence_mails})
        changes.settings["absence_mails"] = answer in ON
    for name in add_reasons:
        name = " ".join(str(name).split())
        if not name or len(name) > REASON_LENGTH:
            raise service.RegisterError(_("A reason is 1 to %(length)s characters.") % {"length": REASON_LENGTH})
        if name not in changes.reasons:
            changes.reasons.append(name)
    return changes


def apply(using, changes):
    """Write `changes` (from check) in one transaction; True when something was asked to change."""
    with transaction.atomic(using=using):
        if changes.settings:
            service.change_settings(using, **changes.settings)
        for name in changes.reasons:
            AbsenceReason.objects.using(using).get_or_create(name=name)
    return bool(changes.settings or changes.reasons)


def shown(using):
    """The settings as the command's JSON and the page show them."""
    settings = service.school_settings(using)
    return {"sessions": [str(session) for session in service.sessions(using, settings)], "weekdays": settings.weekdays,
            "follow_up_below": settings.follow_up_below, "absence_mails": settings.absence_mails,
            "reasons": list(service.reasons(using))}
