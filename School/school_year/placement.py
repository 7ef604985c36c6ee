"""Where an imported student goes: a file's `class` column names a class of the current year.

The student row keeps the class's name as its grade text (as promotion and
the student table read it, School/school_year/promotion.py); an unknown class,
or a class of another grade than the row's `grade`, is that row's error.
"""

from django.utils.translation import gettext as _

from School.school_year.models import Grade, SchoolClass, SchoolYear


class PlacementError(ValueError):
    """A row's class that cannot be; the message is the row's error."""


class Placement:
    """The current year's classes of the active database, read once per import, on first use."""

    def __init__(self, using):
        self.using = using
        self._classes = None
        self.year = None

    def classes(self):
        if self._classes is None:
            self.year = SchoolYear.objects.using(self.using).filter(is_current=True).first()
            grades = dict(Grade.objects.using(self.using).values_list("pk", "name"))
            rows = SchoolClass.objects.using(self.using).filter(year=self.year).values_list("name", "grade_id") if self.year else ()
            self._classes = {name: grades.get(grade, "") for name, grade in rows}
        return self._classes

    def grade_text(self, school_class, grade):
        """The student's grade text for `class` (and the row's `grade`, may be ""); PlacementError with the row's message."""
        classes = self.classes()
        if school_class not in classes:
            if not classes:
                raise PlacementError(_("class %(class)s: the school has no classes this year; use the grade column")
                                 % {"class": repr(school_class)})
            raise PlacementError(_("class %(class)s is not a class of year %(year)s") % {"class": repr(school_class), "year": self.year})
        if grade and grade not in (classes[school_class], school_class):
            raise PlacementError(_("class %(class)s is of grade %(grade)s, not %(given)s")
                             % {"class": repr(school_class), "grade": classes[school_class], "given": grade})
        return school_class
