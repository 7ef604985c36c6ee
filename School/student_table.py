"""The student table's query: search, sort and pagination from the URL.

Kept apart from the view so that every list of students a user can ask for
(the page now, exports and the API later) is built by the same code.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Q

from School.models import Student

PAGE_SIZE = 50
SORTABLE = {
    "id": "pk",
    "first_name": "first_name",
    "second_name": "second_name",
    "registration_no": "registration_no",
}
DEFAULT_SORT = "registration_no"


@dataclass(frozen=True)
class StudentTableQuery:
    search: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False

    @classmethod
    def from_params(cls, params):
        search = " ".join(params.get("q", "").split())[:100]
        sort = params.get("sort", DEFAULT_SORT)
        descending = sort.startswith("-")
        sort = sort.removeprefix("-")
        if sort not in SORTABLE:
            sort, descending = DEFAULT_SORT, False
        return cls(search, sort, descending)

    def queryset(self):
        students = Student.objects.all()
        if self.search:
            students = students.filter(
                Q(first_name__icontains=self.search)
                | Q(second_name__icontains=self.search)
                | Q(registration_no__icontains=self.search)
            )
        field = SORTABLE[self.sort]
        # pk breaks ties so that pages never repeat or skip a student.
        order = [f"-{field}", "-pk"] if self.descending else [field, "pk"]
        return students.order_by(*dict.fromkeys(order))

    def page(self, number):
        return Paginator(self.queryset(), PAGE_SIZE).get_page(number)

    def sort_param(self, column):
        """The `sort` value a column header links to: toggles the current sort."""
        if column == self.sort and not self.descending:
            return f"-{column}"
        return column
