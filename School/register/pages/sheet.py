"""The class sheet page: one class, one month, the paper register's grid, printable on A4 landscape."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from School.context import current_alias
from School.register import service, sheet
from School.register.codes import CODES, LABELS, LETTERS
from School.register.pages.guard import guarded
from School.register.pages.take import classes_for

CELLS = {letter: f"<td>{escape(letter)}</td>" for letter in [*LETTERS.values(), ""]}
REFUSAL = gettext_lazy("You may not read this class's registers.")


@guarded((service.READ, service.TAKE_OWN), REFUSAL)
def sheet_page(request, actor):
    using = current_alias()
    name = str(request.GET.get("class", ""))[:40]
    month = str(request.GET.get("month", ""))[:7] or service.school_today().strftime("%Y-%m")
    if not name:
        return render(request, "register/choose.html", {"classes": classes_for(using, request.user, actor), "sheet": True})
    try:
        ref = service.find_class(using, name)
        found = sheet.class_sheet(using, name, month, ref)
    except service.RegisterError as error:
        raise Http404(str(error)) from None
    if not (actor.may(service.READ) or service.may_take(actor, ref)):
        raise PermissionDenied(str(REFUSAL))
    two = any(session != "day" for _day, session in found["columns"])
    columns = [f"{day.day}{session if two else ''}" for day, session in found["columns"]]
    for row in found["rows"]:
        # A month's grid is 60 x 23 cells: joined here once, not by 1,380 turns of the template's loop.
        row["cells_html"] = mark_safe("".join(CELLS.get(cell) or f"<td>{escape(cell)}</td>" for cell in row["cells"]))
    return render(request, "register/sheet.html", {
        **found, "headings": columns, "month": month,
        "legend": [(LETTERS[code], LABELS[code]) for code in CODES],
    })
