"""The demo schools that `school_manage.py up` creates on an empty registry."""

import logging

from School.context import tenant_context
from School.models import Student
from School.operations.provisioning import add_school

logger = logging.getLogger(__name__)

DEMO_SCHOOLS = [
    ("default", "Default School", ["localhost", "127.0.0.1", "school.local"], "DEF"),
    ("nairobi", "Nairobi School", ["nairobi.localhost", "nairobi.school.local"], "NBI"),
    ("accra", "Accra Academy", ["accra.localhost", "accra.school.local"], "ACC"),
]

FIRST_NAMES = ["Amina", "Kwame", "Wanjiru", "Kofi", "Njeri", "Ama", "Otieno", "Esi", "Baraka", "Yaw", "Akinyi", "Abena"]
LAST_NAMES = ["Mwangi", "Mensah", "Odhiambo", "Owusu", "Kamau", "Boateng", "Achieng", "Asante", "Kiprop", "Appiah"]


def sample_students(prefix, count=12):
    return [
        Student(
            registration_no=f"{prefix}/2024/{number:03d}",
            first_name=FIRST_NAMES[(number * 5 + len(prefix)) % len(FIRST_NAMES)],
            second_name=LAST_NAMES[(number * 7 + ord(prefix[0])) % len(LAST_NAMES)],
        )
        for number in range(1, count + 1)
    ]


def create_demo_schools(with_students=True):
    """Register the demo schools (only `default` without students)."""
    demo = DEMO_SCHOOLS if with_students else DEMO_SCHOOLS[:1]
    for name, display_name, hosts, prefix in demo:
        school = add_school(name, hosts, display_name)
        if with_students:
            with tenant_context(school):
                Student.objects.bulk_create(sample_students(prefix))
            logger.info("demo students added", extra={"school": name})
