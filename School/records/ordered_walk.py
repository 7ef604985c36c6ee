"""A search's page read by walking the sort column's index, on SQLite.

SQLite answers a search (three prefix ranges, OR-ed) by collecting every
match through the key indexes and sorting them all for one page: at 20,000
students, with one in ten matching, that is 2,000 rows fetched and sorted for
the 50 shown. When matches are that common, walking the table in the page's
order and keeping the first 51 that match reads a few hundred rows instead.

Whether to walk is decided from the counts (the school's students and the
search's matches, both kept under the students stamp, and a search needs
its count for the page anyway): only when at least one student in
WALK_FACTOR / 2 matches. Even then the matches could be bunched at the far
end of the order (a surname common only among this year's registrations),
so the walk is bounded: it reads at most WALK_FACTOR rows per row it needs,
and gives up (None) when that was not enough, for the usual query to answer.
"""

from django.db import connections

from School.models import SEARCH_KEYS, Student

# Rows the walk may read per row it needs. It is tried when one student in
# WALK_FACTOR / 2 or more matches: a walk expected to read half its bound.
WALK_FACTOR = 40

# Sorts whose order (column, then pk) an index gives: the pk itself, the
# unique registration number, and single-column indexes (SQLite appends the
# rowid to every index entry).
WALKABLE_SORTS = {"pk", "registration_no", "first_name", "enrolment_date"}

# Fields the walk can return as SQLite gives them (no value converters).
PLAIN_FIELDS = {"pk", "first_name", "second_name", "registration_no", "grade", "status"}


def _plain(queryset):
    query = queryset.query
    return (connections[queryset.db].vendor != "mongodb" and len(query.alias_map) == 1 and not query.distinct
            and not query.is_sliced)


def filter_sql(queryset):
    """(WHERE clause, params) of a plain query on the student table, or None (MongoDB, joins, distinct, sliced).

    For statements of our own that the ORM would plan worse (the count, the walk).
    """
    if not _plain(queryset):
        return None
    query = queryset.query
    return query.get_compiler(queryset.db).compile(query.where)


def can_walk(queryset, sort_field, fields):
    """Whether walk_page can read this query (SQLite, an indexed sort, plain columns)."""
    return (connections[queryset.db].vendor == "sqlite" and sort_field in WALKABLE_SORTS
            and set(fields) <= PLAIN_FIELDS and _plain(queryset))


def worth_walking(students, matches):
    """Whether a walk is expected to find its page within half its bound (matches spread evenly)."""
    return matches > 0 and 2 * students <= WALK_FACTOR * matches


def walk_page(queryset, sort_field, descending, fields, offset, limit, students):
    """`queryset[offset:offset + limit]` as `fields` tuples, or None when the bounded walk does not find them.

    `queryset`: the table's search, ordered by (sort_field, pk), without
    other filters, one that can_walk. `students`: how many the school has.
    """
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    table = quote(Student._meta.db_table)

    def column(name):
        return f"{table}.{quote(Student._meta.get_field(name).column)}"

    pk = column(Student._meta.pk.name)
    order_columns = [pk] if sort_field == "pk" else [column(sort_field), pk]
    direction = "DESC" if descending else "ASC"
    order_by = ", ".join(f"{name} {direction}" for name in order_columns)
    budget = WALK_FACTOR * (offset + limit)

    where, params = filter_sql(queryset)
    # Unary + keeps SQLite from answering the search through the key indexes
    # (it would collect and sort every match); the sort's index is left.
    for key in SEARCH_KEYS.values():
        where = where.replace(column(key), f"+{column(key)}")
    columns = ", ".join(pk if name == "pk" else column(name) for name in fields)

    with connection.cursor() as cursor:
        bound = None
        if students > budget:
            # The sort key of the budget-th student in this order: the walk stops there.
            cursor.execute(f"SELECT {', '.join(order_columns)} FROM {table} ORDER BY {order_by} LIMIT 1 OFFSET %s",
                           [budget - 1])
            bound = cursor.fetchone()
        if bound is not None:
            operator = "<=" if direction == "ASC" else ">="
            where = f"({', '.join(order_columns)}) {operator} ({', '.join(['%s'] * len(bound))}) AND ({where})"
            params = [*bound, *params]
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {order_by} LIMIT %s OFFSET %s",
                       [*params, limit, offset])
        rows = cursor.fetchall()
    if len(rows) == limit or bound is None:
        # A full page from a prefix of the order is the page; and with no
        # bound the walk saw every student.
        return rows
    return None
