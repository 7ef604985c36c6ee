"""Send every query to the active school's database.

The registry (which schools exist, which hosts reach them) and the
platform's aggregate figures stay in `default` whatever school is active,
and their tables are only ever created there.
"""

from django.db import DEFAULT_DB_ALIAS

from School.context import current_alias

# (app label, model name) of every model kept in `default` only. Transfers'
# envelopes are there too: which schools, which transfer, its state, never a
# student's data (School/transfers/); and the platform's aggregate figures.
REGISTRY_MODELS = frozenset({
    ("School", "school"),
    ("School", "schoolhost"),
    ("School", "registrychange"),
    ("transfers", "transfer"),
    ("documents", "storageusage"),  # each school's storage figure, for `schools list`
    ("platform", "schoolfigures"),
    ("platform", "nationalsnapshot"),
    ("jobs", "job"),  # background jobs, each naming its school (School/jobs/)
    ("jobs", "scheduledrun"),  # when each schedule of the queue last ran
    ("platform", "platformyear"),  # the platform calendar and national ladder (School/school_year/national.py)
    ("platform", "platformladder"),
    ("platform", "learnernumber"),  # digests of learner numbers and records (School/identity/registry.py)
    ("platform", "studentdigest"),
    ("platform", "yearaggregates"),  # the indicators' counts per school and year (School/indicators/)
    ("platform", "yeardetail"),
    ("platform", "populationbyage"),
    ("platform", "indicatorsnapshot"),  # the dashboard's indicators as of the last full refresh
})


def _is_registry(model):
    return (model._meta.app_label, model._meta.model_name) in REGISTRY_MODELS


class SchoolRouter:
    def _db_for(self, model, instance=None, **hints):
        if _is_registry(model):
            return DEFAULT_DB_ALIAS
        # An object already loaded from a school's database is saved back
        # there, whichever school is active now.
        if instance is not None and instance._state.db:
            return instance._state.db
        return current_alias()

    db_for_read = _db_for
    db_for_write = _db_for

    # allow_relation is left to Django: related objects must share a database.

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if (app_label, model_name) in REGISTRY_MODELS:
            return db == DEFAULT_DB_ALIAS
        return None
