"""The register settings page of a School admin: one or two registers a day, school days, the follow-up
threshold, the guardians' absence mails and extra reasons; checked by configure.py, as `register_settings` is."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from School.context import current_alias
from School.register import configure
from School.register.pages.guard import guarded
from School.register.service import RegisterError, reasons

CHANGE_SETTINGS = "register.change_registersettings"
REFUSAL = gettext_lazy("You may not change this school's register settings.")


@guarded((CHANGE_SETTINGS,), REFUSAL)
def settings_page(request, actor):
    using = current_alias()
    values = configure.shown(using)
    error, status = "", 200
    if request.method == "POST":
        asked = {
            "sessions": str(request.POST.get("sessions", ""))[:3],
            "weekdays": "".join(str(day)[:1] for day in request.POST.getlist("weekdays")[:7]),
            "follow_up_below": str(request.POST.get("follow_up_below", ""))[:12],
            "absence_mails": "on" if request.POST.get("absence_mails") else "off",
            "add_reasons": [line for line in str(request.POST.get("add_reasons", ""))[:2000].splitlines() if line.strip()],
        }
        try:
            changes = configure.check(**asked)
        except RegisterError as refusal:
            error, status = str(refusal), 400
            values.update(sessions=["am", "pm"] if asked["sessions"] == "two" else ["day"], weekdays=asked["weekdays"],
                          follow_up_below=asked["follow_up_below"], absence_mails=asked["absence_mails"] == "on",
                          new_reasons="\n".join(asked["add_reasons"]))
        else:
            configure.apply(using, changes)
            messages.success(request, _("The register settings were saved."))
            return redirect("register-settings")
    weekdays = [(str(number + 1), name, str(number + 1) in str(values["weekdays"])) for number, name in WEEKDAYS.items()]
    return render(request, "register/settings.html", {
        "values": values, "two": len(values["sessions"]) == 2, "weekdays": weekdays, "error": error,
        "reasons": list(reasons(using).values()),
    }, status=status)
