"""Every admin list's search box bounded: no search text past MAX_SEARCH characters reaches a LIKE.

The admin turns each word of `?q=` into a LIKE per search field: 60,000
characters give SQLite a pattern "too complex" (a 500), and thousands of
words a query of as many clauses. Applied once, after every app registered
its admins (third-party ones included), by wrapping each ModelAdmin's class.
"""

from School.security.bounds import search_text


class BoundedSearch:
    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_text(search_term))


def bound_every_search(site):
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, BoundedSearch) or not model_admin.search_fields:
            continue
        bounded = type(type(model_admin).__name__, (BoundedSearch, type(model_admin)), {})
        site.unregister(model)
        site.register(model, bounded)
