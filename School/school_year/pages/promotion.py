"""Promotion day on a page: the years, a preview by grade and class, repeaters and leavers ticked, confirm, undo.

The page writes only through School/school_year/promotion.py and undo.py,
the command line's own code: the same checks, all or nothing, the same
messages, the same audit events (with the signed-in user as who).

Nobody is ticked to repeat or leave until someone ticks them here: the form
carries only what was ticked on it. Confirming needs a preview of exactly
the choices confirmed (a digest of them rides with the preview), so a box
ticked after the preview is shown again before anything is written.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from School.context import current_alias
from School.models import Student
from School.school_year.models import Enrolment, Grade, Promotion, SchoolYear
from School.school_year.pages.dates import local_date
from School.school_year.pages.guards import CONFIRM_LADDER, PROMOTE, may, staff_with
from School.school_year.promotion import PromotionError, plan, promote
from School.school_year.undo import undo
from School.security.bounds import search_text

OFFERED = 200  # students listed for ticking at once; a search narrows them
MAX_MARKED = 5000  # more ticks than any school has students is not a form
Outcome = Enrolment.Outcome
promoters = staff_with(PROMOTE, gettext_lazy("You may not promote this school's students."))


@dataclass(frozen=True)
class Choices:
    to: str
    repeat: tuple
    leave: tuple
    search: str

    @classmethod
    def from_params(cls, params, default_to=""):
        def numbers(name):
            return tuple(sorted({value.strip()[:50] for value in params.getlist(name)[:MAX_MARKED] if value.strip()}))

        return cls(str(params.get("to", "") or default_to)[:20], numbers("repeat"), numbers("leave"),
                   search_text(params.get("q")))

    def digest(self):
        """What a preview was computed for: confirming asks that it is still what is confirmed."""
        text = "\n".join([self.to, " ".join(self.repeat), " ".join(self.leave)])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@promoters
def promotion_page(request):
    later = later_years()
    default_to = later[0].name if later else ""
    if request.method != "POST":
        return page(request, Choices.from_params(request.GET, default_to), later)
    choices = Choices.from_params(request.POST, default_to)
    if request.POST.get("action") != "confirm":
        return page(request, choices, later)
    if request.POST.get("previewed") != choices.digest():
        return page(request, choices, later, notice=_("The choices changed since the preview: check it again, then confirm."))
    try:
        done = promote(current_alias(), request.school.name, choices.to, choices.repeat, choices.leave,
                       username=request.user.get_username())
    except PromotionError as error:
        return page(request, choices, later, error=str(error), status=400)
    messages.success(request, _(
        "Promoted from %(from)s into %(to)s: %(promoted)d promoted, %(graduating)d graduating, "
        "%(repeating)d repeating, %(leaving)d leaving."
    ) % {"from": done.from_year, "to": done.to_year, **outcome_counts(Counter(done.counts()))})
    return redirect("promotion")


@require_POST
@promoters
def undo_page(request):
    name = str(request.POST.get("year", ""))[:20]
    try:
        moved = undo(current_alias(), request.school.name, name, username=request.user.get_username())
    except PromotionError as error:
        later = later_years()
        return page(request, Choices(later[0].name if later else "", (), (), ""), later, error=str(error), status=400)
    messages.success(request, _("The promotion into %(year)s was undone: %(count)d students are back where they were.")
                     % {"year": name, "count": moved})
    return redirect("promotion")


def later_years():
    """The years after the current one, the first of them the one to open by default."""
    current = SchoolYear.objects.filter(is_current=True).first()
    if current is None:
        return []
    return list(SchoolYear.objects.filter(first_day__gt=current.last_day).order_by("first_day"))


def page(request, choices, later, error=None, notice=None, status=200):
    current = SchoolYear.objects.filter(is_current=True).first()
    preview = None
    # No preview without a current year: plan() would make the school's first
    # year, and showing a page must write nothing.
    if error is None and choices.to and current is not None:
        try:
            preview = plan(current_alias(), request.school.name, choices.to, choices.repeat, choices.leave)
        except PromotionError as refusal:
            error = str(refusal)
    context = {
        "current": current and year_view(request, current),
        "later": [year_view(request, year) for year in later],
        "choices": choices,
        "students": students_to_mark(choices),
        "preview": preview and preview_view(preview),
        "previewed": choices.digest() if preview else "",
        "error": error,
        "notice": notice,
        "ladder_unconfirmed": Grade.objects.filter(confirmed=False).exists(),
        "may_confirm_ladder": may(request.user, CONFIRM_LADDER),
        "last": last_promotion(request),
        "offered": OFFERED,
    }
    return render(request, "school_year/promotion.html", context, status=status)


def year_view(request, year):
    return {"name": year.name, "first": local_date(request, year.first_day), "last": local_date(request, year.last_day)}


def students_to_mark(choices):
    """The ticked students first, then the active students the search finds (at most OFFERED)."""
    active = Student.objects.filter(status=Student.Status.ACTIVE)
    fields = ("registration_no", "first_name", "second_name", "grade")
    marked = set(choices.repeat) | set(choices.leave)
    rows = list(active.filter(registration_no__in=sorted(marked)).values_list(*fields)) if marked else []
    found = active.exclude(registration_no__in=sorted(marked)) if marked else active
    if choices.search:
        text = choices.search
        found = found.filter(Q(registration_no__istartswith=text) | Q(first_name__istartswith=text) | Q(second_name__istartswith=text))
    more = list(found.order_by("grade", "second_name", "first_name", "registration_no").values_list(*fields)[:OFFERED + 1])
    listed = [
        {"number": number, "name": f"{first} {last}", "grade": grade,
         "repeats": number in choices.repeat, "leaves": number in choices.leave}
        for number, first, last, grade in rows + more[:OFFERED]
    ]
    return {"rows": listed, "more": len(more) > OFFERED}


def preview_view(done):
    """The plan by grade and class, in ladder order: how many are promoted (and to which grade), graduate, repeat, leave."""
    groups, promoted_to = {}, {}
    for decision in done.decisions:
        key = (decision.grade.position, decision.grade.name, decision.school_class.name if decision.school_class else "")
        groups.setdefault(key, Counter())[decision.outcome] += 1
        if decision.outcome == Outcome.PROMOTED:
            promoted_to[key] = decision.to_grade.name
    rows = [
        {"grade": key[1], "class": key[2], "to": promoted_to.get(key, ""), **outcome_counts(groups[key])}
        for key in sorted(groups)
    ]
    return {"from": done.from_year.name, "to": done.to_year.name, "rows": rows,
            "total": outcome_counts(Counter(done.counts())), "students": len(done.decisions)}


def outcome_counts(counts):
    return {"promoted": counts[Outcome.PROMOTED], "graduating": counts[Outcome.GRADUATED],
            "repeating": counts[Outcome.REPEATED], "leaving": counts[Outcome.WITHDRAWN]}


def last_promotion(request):
    """The promotion into the current year, offered for undo (undo.py says whether it still can be)."""
    current = SchoolYear.objects.filter(is_current=True).first()
    promotion = current and Promotion.objects.filter(to_year=current).select_related("from_year", "to_year").first()
    if not promotion:
        return None
    return {
        "from": promotion.from_year.name, "to": promotion.to_year.name, "by": promotion.username or "—",
        "on": local_date(request, promotion.finished_at or promotion.started_at),
        "done": promotion.state == Promotion.State.DONE,
        **outcome_counts(Counter(promotion.counts or {})),
    }
