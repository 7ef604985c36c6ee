"""The demo schools look like real schools: what a newcomer sees first."""

from collections import Counter

from School.operations.demo import DEMO_SCHOOLS, sample_students
from School.records.table import PAGE_SIZE


def test_demo_students_are_complete_valid_and_the_same_every_time():
    for _name, _display, _hosts, prefix, count, classes, phone in DEMO_SCHOOLS:
        students = sample_students(prefix, count, classes, phone)
        assert len({s.registration_no for s in students}) == count
        for student in students:
            student.full_clean(validate_unique=False)  # every rule of the admin and the import
            (guardian,) = student.guardians_given
            assert student.grade in classes and guardian.name and guardian.phone.startswith(phone)
            assert student.date_of_birth < student.enrolment_date
        assert set(Counter(s.grade for s in students)) == set(classes)
        again = sample_students(prefix, count, classes, phone)
        assert [(s.registration_no, s.first_name, s.date_of_birth) for s in again] == [
            (s.registration_no, s.first_name, s.date_of_birth) for s in students
        ]


def test_one_demo_school_is_big_enough_to_page_filter_and_search():
    _name, _display, _hosts, prefix, count, classes, phone = max(DEMO_SCHOOLS, key=lambda school: school[4])
    assert count >= 300 and count > 3 * PAGE_SIZE
    students = sample_students(prefix, count, classes, phone)
    assert len({s.status for s in students}) == 4  # active, graduated, transferred, withdrawn
    assert len({s.second_name for s in students}) > 10
