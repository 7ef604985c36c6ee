"""The columns of the student rows that tests write by hand.

An import reads any of the file's columns, in any order; these are the ones
the hand-written rows carry, so those files stay valid as the export gains
columns (sex, guardians, classes).
"""

ROW_COLUMNS = [
    "registration_no", "first_name", "second_name", "date_of_birth", "grade", "enrolment_date", "status",
    "guardian_name", "guardian_phone",
]
