"""The school year: a school's calendar, its grade ladder, and each student's history by year.

models.py     years, terms, closed days, the grade ladder, classes, one enrolment per student per
              year, and the promotion record that makes promotion day repeatable after a crash
calendar.py   checking and writing a year with its terms and closed days
ladder.py     the grade ladder: set it, check it has no loop, derive it from existing records
promotion.py  promotion day: the preview, the all-or-nothing move into the next year, and its undo
management/   `calendar`, `grades` and `promote`, run per school by school_manage.py

Everything here lives in each school's own database. The student table never
reads these tables: Student.grade keeps the current class as text, and
promotion rewrites it through Student's queryset so the table's caches follow.
"""
