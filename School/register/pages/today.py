"""Today: which classes have not taken today's register, and who is absent (the head teacher's and registrar's page)."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy

from School.context import current_alias
from School.register import reading, service
from School.register.codes import LABELS
from School.register.models import Session
from School.register.pages.guard import guarded

REFUSAL = gettext_lazy("You may not read this school's registers.")


@guarded((service.READ,), REFUSAL)
def today_page(request, actor):
    day = service.school_today()
    found = reading.today(current_alias(), day)
    two = any(session != Session.DAY for _name, session in found["missing"]) or any(
        session != Session.DAY for _name, session in found["taken"])
    reasons = service.reasons(current_alias())
    for row in found["absent"]:
        row["mark"] = LABELS[row["code"]]
        row["reason"] = reasons.get(row["reason"], row["reason"])
        row["session_label"] = Session(row["session"]).label
    missing = [{"name": name, "session": session, "session_label": Session(session).label} for name, session in found["missing"]]
    return render(request, "register/today.html", {"day": day, "missing": missing, "absent": found["absent"],
                                                   "taken": len(found["taken"]), "two_sessions": two,
                                                   "follow_up": reading.persistent_absence(current_alias(), day),
                                                   "threshold": service.school_settings(current_alias()).follow_up_below})
