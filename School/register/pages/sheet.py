"""The class sheet page: one class, one month, the paper register's grid, printable on A4 landscape."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from School.context import current_alias
from School.register import kept_sheets, service, sheet
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
        ref, grid = kept_sheets.kept_sheet(using, name, month, lambda: _grid(using, name, month))
    except service.RegisterError as error:
        raise Http404(str(error)) from None
    if not (actor.may(service.READ) or service.may_take(actor, ref)):
        raise PermissionDenied(str(REFUSAL))
    # Jinja2, as the student table: Django's engine drawing the page around a kept grid cost as much as the rest.
    return render(request, "register/class_sheet.html", {
        "class_name": ref.name, "month": month, "grid": grid,
        "legend": [(LETTERS[code], LABELS[code]) for code in CODES],
    }, using="jinja2")


def _grid(using, name, month):
    """(the class, its month's grid as HTML): what kept_sheets keeps."""
    ref = service.find_class(using, name)
    found = sheet.class_sheet(using, name, month, ref)
    two = any(session != "day" for _day, session in found["columns"])
    # A month's grid is 60 x 23 cells: joined here once, not by 1,380 turns of the template's loop.
    rows_html = "\n".join(
        f"<tr><td>{number}</td><th scope=\"row\">{escape(row['name'])}</th>"
        + "".join(CELLS.get(cell) or f"<td>{escape(cell)}</td>" for cell in row["cells"])
        + f"<td>{row['present']}</td><td>{row['absent']}</td><td>{row['late']}</td></tr>"
        for number, row in enumerate(found["rows"], 1))
    grid = render_to_string("register/sheet_grid.html", {
        "headings": [f"{day.day}{session if two else ''}" for day, session in found["columns"]],
        "rows_html": mark_safe(rows_html), "totals": found["totals"],
    })
    return ref, mark_safe(grid)
