"""Confirming the grade ladder on a page: the order of the grades and which are final.

A ladder guessed from old records ("Red", "Blue", "Grade 7B") is unconfirmed
and promotion refuses it; here a school admin puts the grades in order
(a number each, keyboard-friendly, no dragging) and ticks the final ones.
Saving goes through ladder.set_ladder, as `grades set` does: the ladder is
then confirmed.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from School.context import current_alias
from School.school_year.ladder import LadderError, set_ladder
from School.school_year.models import Grade
from School.school_year.pages.guards import CONFIRM_LADDER, staff_with

ladder_keepers = staff_with(CONFIRM_LADDER, gettext_lazy("You may not change this school's grades."))


@ladder_keepers
def ladder_page(request):
    grades = list(Grade.objects.order_by("position"))
    if request.method != "POST":
        return _page(request, grades)
    try:
        order = [_place(request.POST.get(f"order-{grade.pk}"), grade) for grade in grades]
    except ValueError:
        return _page(request, grades, _("Give every grade its place as a whole number (1 for the lowest)."), 400)
    names = [pair[1].name for pair in sorted(zip(order, grades), key=lambda pair: pair[0])]
    finals = [grade.name for grade in grades if request.POST.get(f"final-{grade.pk}")]
    try:
        set_ladder(current_alias(), names, finals)
    except LadderError as error:
        return _page(request, grades, str(error), 400)
    messages.success(request, _("The order of the grades is confirmed: %(names)s.") % {"names": ", ".join(names)})
    return redirect("grade-ladder")


def _place(text, grade):
    # Ties keep the present order, so a grade given no change stays where it was.
    return (int(str(text or "").strip()[:6]), grade.position)


def _page(request, grades, error=None, status=200):
    names = {grade.pk: grade.name for grade in grades}
    rows = [{"pk": grade.pk, "name": grade.name, "position": grade.position, "final": grade.is_final,
             "next": names.get(grade.next_grade_id, "")} for grade in grades]
    context = {"grades": rows, "unconfirmed": any(not grade.confirmed for grade in grades), "error": error}
    return render(request, "school_year/ladder.html", context, status=status)
