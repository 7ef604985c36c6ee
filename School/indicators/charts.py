"""The dashboard's charts of the ministry's numbers, drawn as the platform's others are (School/platform/charts.py)."""

import pygal
from django.utils.translation import gettext as _

from School.indicators.dashboard import AGE_BANDS
from School.platform.charts import _chart, render


def _values(ratios):
    return [ratio.value for ratio in ratios]  # None: pygal leaves the bar out (n/a)


def flow_rates(data):
    view = data.indicators
    chart = _chart(pygal.Bar, _("Promotion, repetition and dropout rates by grade (%)"), x_label_rotation=30)
    chart.x_labels = [grade for grade, *_rates in view.rates]
    for index, label in enumerate((_("promotion"), _("repetition"), _("dropout")), start=1):
        chart.add(label, _values(row[index] for row in view.rates))
    return render(chart)


def parity(data):
    view = data.indicators
    chart = _chart(pygal.Bar, _("Gender parity index by grade (female / male)"), x_label_rotation=30)
    chart.x_labels = [grade for grade, *_gpi in view.gpi]
    chart.add(_("enrolment"), _values(row[1] for row in view.gpi))
    chart.add(_("promotion rate"), _values(row[2] for row in view.gpi))
    return render(chart)


def ages(data):
    view = data.indicators
    chart = _chart(pygal.StackedBar, _("Enrolment by grade and age"), x_label_rotation=30)
    chart.x_labels = [grade for grade, _bands, _unknown in view.ages]
    for index, (_first, label) in enumerate(AGE_BANDS):
        chart.add(label, [bands[index] for _grade, bands, _unknown in view.ages])
    chart.add(_("age not recorded"), [unknown for _grade, _bands, unknown in view.ages])
    return render(chart)


def absence(data):
    rows = data.indicators.absence
    chart = _chart(pygal.HorizontalBar, _("Persistent absence by school (% of students)"), show_legend=False)
    chart.x_labels = [name for name, _ratio in reversed(rows)]
    chart.add(_("persistent absence"), [ratio.value for _name, ratio in reversed(rows)])
    return render(chart)


CHARTS = {"flow-rates": flow_rates, "parity": parity, "ages": ages, "absence": absence}
