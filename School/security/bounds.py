"""Numbers and search text from a request, bounded before they reach a database.

A database refuses what Python accepts: SQLite's integers stop at 2**63 - 1
(a larger page number overflows its OFFSET, a larger id raises
OverflowError in the driver) and its LIKE patterns at 50,000 bytes. What a
visitor types must end as a 404 or a form error, never as a 500.
"""

from django.core.exceptions import ValidationError
from django.http import Http404

from School.validation import normalise_text

# Pages of 50 rows: 5 million students, far past any school.
MAX_PAGE = 100_000
# A number longer than this is no page number (and int() of it costs nothing).
MAX_DIGITS = 12
MAX_SEARCH = 100
SQL_INTEGER = 2**63 - 1


def page_number(value):
    """A page number from a request: 1 when malformed, at most MAX_PAGE (past the end shows the last page)."""
    text = str(value or "").strip()
    if len(text) > MAX_DIGITS:
        return MAX_PAGE if text.isdigit() else 1
    try:
        return min(max(1, int(text)), MAX_PAGE)
    except ValueError:
        return 1


def search_text(value, limit=MAX_SEARCH):
    """Free text to search for, in the form names are stored in (School.validation), at most `limit` characters."""
    return normalise_text(str(value or ""))[:limit]


def object_ids(model, values):
    """`values` as ids of `model` in its engine (integers on SQLite, ObjectIds on MongoDB); 404 for any other."""
    field = model._meta.pk
    ids = []
    for value in values:
        try:
            pk = field.to_python(value)
        except (ValidationError, TypeError, ValueError):
            raise Http404 from None
        if isinstance(pk, int) and not -SQL_INTEGER - 1 <= pk <= SQL_INTEGER:
            raise Http404
        ids.append(pk)
    return ids
