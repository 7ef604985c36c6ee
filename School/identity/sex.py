"""A student's sex as files, the table's filter and the API write it.

Stored as Student.Sex: "female", "male", or "" when the record does not say
("not recorded"). Files write the stored value (nothing for not recorded);
an import also reads F and M in any case, and the words of the school's
language (the labels its catalogue gives Female, Male and Not recorded).
"""

from django.utils.translation import gettext as _

from School.identity.words import value_of
from School.models import Student

# The table's and the API's filter: a URL cannot carry "" as a choice.
UNRECORDED = "unrecorded"
FILTER_VALUES = {Student.Sex.FEMALE.value: Student.Sex.FEMALE, Student.Sex.MALE.value: Student.Sex.MALE,
                 UNRECORDED: Student.Sex.NOT_RECORDED}

_LETTERS = {"f": Student.Sex.FEMALE, "m": Student.Sex.MALE}


def sex_from_text(text, language):
    """The stored value for a file's `sex` cell in a school of `language`; ValidationError naming the column."""
    return value_of(text, Student.Sex, language, Student.Sex.NOT_RECORDED, "sex",
                    _("unknown sex %(value)s: use female, male, F, M or leave it empty"), _LETTERS.items())


def sex_filter(value):
    """The stored value a `sex=` URL parameter asks for, or None (no filter, or a value not known)."""
    return FILTER_VALUES.get(value or "")


def filter_choices():
    """(URL value, label) pairs of the table's sex filter, in the active language."""
    return [(key, str(Student.Sex(value).label)) for key, value in FILTER_VALUES.items()]
