"""Every school with (some of) its figures, by name: two flat queries joined here (no $lookup on MongoDB)."""

from collections import namedtuple
from dataclasses import dataclass

from School.platform.national import figures, schools


@dataclass(frozen=True, slots=True)
class Registered:
    key: object
    name: str
    display_name: str
    cluster: str
    suspended: bool

    @property
    def state(self):
        return "suspended" if self.suspended else "active"


def schools_with_figures(*fields, only=None):
    """(Registered, figures or None) for every school, by name; figures is a named tuple of `fields`
    (None also for a school whose figures do not match `only`, a Q, when given)."""
    Figures = namedtuple("Figures", fields)
    rows = figures().filter(only) if only is not None else figures()
    by_school = {row[0]: Figures(*row[1:]) for row in rows.values_list("school_id", *fields).iterator(chunk_size=5000)}
    registered = schools().order_by("name").values_list("pk", "name", "display_name", "cluster", "suspended")
    for row in registered.iterator(chunk_size=5000):
        school = Registered(*row)
        yield school, by_school.get(school.key)
