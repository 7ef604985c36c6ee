"""Put the active school's name on every log record."""

import logging

from School.context import current_school


class SchoolFilter(logging.Filter):
    def filter(self, record):
        if not getattr(record, "school", None):
            school = current_school()
            record.school = school.name if school is not None else "-"
        return True
