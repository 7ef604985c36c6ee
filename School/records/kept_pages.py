"""The student table's pages kept per worker under the school's students stamp.

Between two writes to a school's students, the same query and page number
give the same rows and count: the profile of the table's default page showed
half of its time in building, running and reading that query and a tenth in
escaping its rows. A kept page costs one tiny query (the stamp) instead, and
its rows' HTML is escaped once per language.

A write in any worker changes the stamp (School.models.StudentsStamp), so a
kept page is never served after the write that outdated it. The stamp is read
before the rows are, as SchoolFacts does: a page read after a later write is
only ever filed under the older token, where no one looks for it any more.
Writes that bypass the stamp (raw SQL) are not seen, as with the class list.
"""

from collections import OrderedDict
from contextlib import suppress
from dataclasses import dataclass, field

# Pages kept per worker, all schools together (about 20 KiB each with the
# HTML of one language): a few per busy school between its writes.
KEPT_PAGES = 128

_pages = OrderedDict()  # (alias, token, query, number, fields) -> KeptPage


@dataclass
class KeptPage:
    page: object  # School.records.table.RowsPage
    html: dict = field(default_factory=dict)  # (language, detail prefix) -> the rows' escaped HTML

    def rows_html(self, key, render):
        """The rows as HTML for `key` (language and link prefix), rendered by `render(rows)` the first time."""
        html = self.html.get(key)
        if html is None:
            html = self.html[key] = render(self.page.rows)
        return html


def kept_page(query, number, fields, facts):
    """query.page_rows(number, fields, facts), kept under the school's stamp until its next write."""
    token = facts.token
    if token is None:  # no write recorded yet: nothing to key on
        return KeptPage(query.page_rows(number, fields, facts))
    key = (facts.alias, token, query, number, fields)
    kept = _pages.get(key)
    if kept is None:
        kept = _pages[key] = KeptPage(query.page_rows(number, fields, facts))
        while len(_pages) > KEPT_PAGES:
            _pages.popitem(last=False)
    else:
        # Another thread of this worker (4 a worker on MongoDB) may have dropped it meanwhile.
        with suppress(KeyError):
            _pages.move_to_end(key)
    return kept


def forget_pages():
    """Drop every kept page (benchmarks that time the page's queries themselves)."""
    _pages.clear()
