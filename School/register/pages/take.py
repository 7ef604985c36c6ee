"""The register page: everyone present first, one mark per student, one Save button; a plain form.

GET without a class lists the classes and groups the user may take; with
`?class=` or `?group=` (and `date`, `session`) it shows that register as
stored. POST saves it through School/register/service.py, then redirects (a
reload never saves twice).
"""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from School.context import current_alias
from School.register import groups, service
from School.register.codes import CODES, EXCUSED, LABELS, PRESENT
from School.register.models import Session
from School.register.pages.guard import guarded
from School.register.reading import class_names
from School.school_year.models import SchoolClass, SchoolYear
from School.school_year.pages.dates import local_date

REFUSAL = gettext_lazy("You may not take registers at this school.")


@guarded((service.TAKE_OWN, service.TAKE_ANY), REFUSAL)
def register_page(request, actor):
    source = request.POST if request.method == "POST" else request.GET
    using = current_alias()
    name, group = str(source.get("class", ""))[:40], str(source.get("group", ""))[:groups.NAME_LENGTH]
    if not name and not group:
        return render(request, "register/choose.html", {"classes": classes_for(using, request.user, actor),
                                                        "groups": groups_for(using, actor)})
    try:
        ref = groups.find_group(using, group) if group else service.find_class(using, name)
        day = service.parse_day(str(source.get("date", ""))[:10])
    except service.RegisterError as error:
        raise Http404(str(error)) from None
    if not service.may_take(actor, ref):
        raise PermissionDenied(str(REFUSAL))
    allowed = [str(value) for value in ref.sessions(using)]
    session = str(source.get("session", ""))[:3] or allowed[0]
    students = ref.students(using)
    form = {"error": "", "correction": ""}
    if request.method == "POST":
        marks = {regno: (request.POST.get(f"mark-{regno}", PRESENT), request.POST.get(f"reason-{regno}", ""))
                 for regno in students}
        marks = {regno: (code, reason if code == EXCUSED else "") for regno, (code, reason) in marks.items()}
        try:
            version = int(request.POST.get("version", "0"))
        except ValueError:
            version = 0
        form["correction"] = str(request.POST.get("correction", ""))[:200]
        try:
            result = service.take(using, actor, ref, day, marks, session=session, version=version,
                                  correction=form["correction"])
        except service.RegisterRefused as error:
            raise PermissionDenied(str(error)) from None
        except service.RegisterError as error:
            form["error"] = str(error)
            return render(request, "register/take.html", context(request, using, ref, day, session, allowed, students,
                                                                  marks, None, form), status=400)
        if result.replaced:
            by, at = result.replaced
            messages.warning(request, _("Saved. %(name)s had saved this register at %(time)s while you had it open: "
                                        "your save replaced theirs.") % {"name": by or "?", "time": local_time(at)})
        else:
            messages.success(request, _("Register saved.") if result.changed else _("Register saved (nothing had changed)."))
        return redirect(f"{reverse('register')}?{urlencode({ref.param: ref.name, 'date': day.isoformat(), 'session': session})}")
    register = ref.registers_model.objects.using(using).filter(**ref.key(day, session)).first()
    marks = service.stored_marks(register, students)
    return render(request, "register/take.html", context(request, using, ref, day, session, allowed, students, marks,
                                                         register, form))


def local_time(value):
    from django.utils import timezone

    return timezone.localtime(value).strftime("%H:%M")


def context(request, using, ref, day, session, allowed, students, marks, register, form):
    known = service.reasons(using)
    rows = []
    for regno, student in students.items():
        code, reason = marks.get(regno, (PRESENT, ""))
        rows.append({"regno": regno, "name": f"{student.first_name} {student.second_name}", "code": code,
                     "reason": reason, "pk": student.pk})
    return {
        "ref": ref, "day": day, "day_text": local_date(request, day), "session": session,
        "sessions": [(value, Session(value).label) for value in allowed] if len(allowed) > 1 else [],
        "students": rows, "codes": [(code, LABELS[code]) for code in CODES], "reasons": list(known.items()),
        "excused": EXCUSED, "register": register, "version": register.version if register else 0,
        "taken_at": local_time(register.taken_at) if register else "",
        "after_the_day": day < service.school_today(), "may_correct": service.Actor(request.user).may(service.TAKE_ANY),
        "form": form,
        "previous": (day - datetime.timedelta(days=1)).isoformat(),
    }


def classes_for(using, user, actor):
    """The current year's classes this user may take: their own as class teacher, or all of them."""
    year = SchoolYear.objects.using(using).filter(is_current=True).first()
    if year is None:
        return []
    if actor.may(service.TAKE_ANY):
        return class_names(year)
    return list(SchoolClass.objects.using(using).filter(year=year, teacher=user).values_list("name", flat=True))


def groups_for(using, actor):
    """The current year's groups this user may take: those they are in charge of, or all of them."""
    try:
        return [row["group"].name for row in groups.year_groups(using, actor)]
    except service.RegisterError:  # no current year: no group either
        return []
