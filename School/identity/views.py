"""/platform/duplicates/: children active at more than one school, for platform staff only (School/platform/views.py's guard)."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from School.identity.duplicates import CERTAIN, DIFFERENT_NUMBERS, find_duplicates
from School.platform.views import platform_staff


@platform_staff
def duplicates(request):
    matches = {CERTAIN: _("certain: the same learner number"),
               "likely": _("likely: the same names, date of birth and sex")}
    notes = {DIFFERENT_NUMBERS: _("different learner numbers: perhaps twins"), "": ""}
    rows = [(matches[found.match], found.school, found.registration_no, found.other_school, found.other_registration_no,
             notes.get(found.note, found.note)) for found in find_duplicates()]
    return render(request, "identity/duplicates.html", {"rows": rows})
