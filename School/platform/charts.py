"""The dashboard's charts as SVG drawn on the server by pygal: no JavaScript, no CDN.

pygal links its tooltips script from a CDN by default: `js=[]` turns that
off, and the small configuration <script> it still writes is removed (an
<img> never runs scripts anyway). The SVG keeps its own inline <style>, so
it is served with a policy of its own that allows that style and nothing
else (see views.chart); the page embeds it as a same-origin <img>, which
the page's CSP allows.
"""

import re

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

from School.platform.figures import STATUSES, status_label

# The configuration <script> and the comments (pygal's links to its web site).
SCRIPT_AND_COMMENTS = re.compile(r"<script\b.*?</script>|<!--.*?-->", re.S)
# Dark enough on white for text (WCAG AA) and told apart by more than hue in the data tables.
STYLE = Style(
    background="white", plot_background="white", foreground="#222", foreground_strong="#111",
    foreground_subtle="#555", colors=("#1f5f99", "#b35900", "#2e7d32", "#8e24aa", "#c62828"),
    font_family="sans-serif",
)


def _chart(kind, title, **options):
    return kind(
        js=[], style=STYLE, title=title, disable_xml_declaration=True, width=800, height=400,
        explicit_size=False, print_values=False, legend_at_bottom=True, no_data_text=_("No data"), **options,
    )


def render(chart):
    return SCRIPT_AND_COMMENTS.sub("", chart.render(is_unicode=True))


def class_label(grade):
    return _("other classes") if grade is None else (grade or _("no class"))


def students_by_class(data):
    chart = _chart(pygal.StackedBar, _("Students by class"), x_label_rotation=30)
    chart.x_labels = [class_label(grade) for grade, _counts, _total in data.classes]
    for status in STATUSES:
        chart.add(status_label(status), [counts.get(status, 0) for _grade, counts, _total in data.classes])
    return render(chart)


def school_sizes(data):
    chart = _chart(pygal.Bar, _("Schools by number of students"), show_legend=False)
    chart.x_labels = [label for label, _n in data.sizes]
    chart.add(_("schools"), [n for _label, n in data.sizes])
    return render(chart)


def national_trend(data):
    chart = _chart(pygal.Line, _("Students in every school, by day"), show_legend=False, x_label_rotation=30,
                   show_minor_x_labels=False, x_labels_major_count=8)
    chart.x_labels = [day.isoformat() for day, _total in data.trend]
    chart.add(_("students"), [total for _day, total in data.trend])
    return render(chart)


def _top(title, rows):
    chart = _chart(pygal.HorizontalBar, title, show_legend=False)
    chart.x_labels = [name for name, _value in reversed(rows)]
    chart.add(title, [value for _name, value in reversed(rows)])
    return render(chart)


def largest(data):
    return _top(_("Largest schools"), data.largest)


def growing(data):
    return _top(_("Fastest-growing schools"), data.growing)


CHARTS = {
    "classes": students_by_class,
    "sizes": school_sizes,
    "trend": national_trend,
    "largest": largest,
    "growing": growing,
}
