"""The marks a register gives, translated, each with the Ed-Fi attendance event category it maps to.

Ed-Fi (AttendanceEventCategoryDescriptor): In Attendance, Tardy, Unexcused
Absence, Excused Absence. "Not expected" (an approved leave, a student on an
exchange) is sent as Excused Absence, the nearest Ed-Fi has; our own figures
leave it out of the days a student was expected, so a leave never lowers a rate.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PRESENT = "present"
LATE = "late"
ABSENT = "absent-unexcused"
EXCUSED = "absent-excused"
NOT_EXPECTED = "not-expected"

CODES = (PRESENT, LATE, ABSENT, EXCUSED, NOT_EXPECTED)
LABELS = {
    PRESENT: pgettext_lazy("register mark", "Present"),
    LATE: pgettext_lazy("register mark", "Late"),
    ABSENT: pgettext_lazy("register mark", "Absent"),
    EXCUSED: pgettext_lazy("register mark", "Absent (excused)"),
    NOT_EXPECTED: pgettext_lazy("register mark", "Not expected"),
}
# One letter each on the class sheet's grid, as on a paper register ("/" present; a day not taken stays blank).
LETTERS = {PRESENT: "/", LATE: "L", ABSENT: "A", EXCUSED: "E", NOT_EXPECTED: "N"}
ED_FI = {
    PRESENT: "In Attendance",
    LATE: "Tardy",
    ABSENT: "Unexcused Absence",
    EXCUSED: "Excused Absence",
    NOT_EXPECTED: "Excused Absence",
}
ABSENCES = (ABSENT, EXCUSED)

# Reasons every school has; a school adds its own (AbsenceReason rows). Stored by key.
BUILT_IN_REASONS = {
    "sick": _("Sick"),
    "medical": _("Medical appointment"),
    "family": _("Family matter"),
    "religious": _("Religious observance"),
    "weather": _("Weather or travel"),
}
