"""The school year's pages for a school's staff.

promotion.py   promotion day: the preview by grade and class, repeaters and leavers ticked, confirm, undo
ladder.py      confirming (and reordering) a grade ladder guessed from old records
classes.py     a year's classes by grade, and one class's list, printable on A4
guards.py      who may open them: staff with a permission, the sign-in page for the others
dates.py       dates written in the school's own order

Every write goes through the same code as the command line (promotion.py,
undo.py, ladder.py one level up), so a page and `school_manage.py` refuse
the same things with the same messages.
"""
