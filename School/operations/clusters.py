"""Which MongoDB cluster a new school goes to: the pool of MONGODB_CLUSTERS.

A school is placed on the cluster of the pool with the fewest schools, or on
the one named with `schools add --cluster`. Its database is then opened
through that cluster's shared client (School.mongo), so a process still has
one client per cluster whatever the number of schools.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count

from multitenant.databases import MAIN_CLUSTER, MONGODB

OWN_CLUSTER = "own"  # schools added with --mongodb-uri


class ClusterError(ValueError):
    """A cluster that cannot be used; the message says why."""


def cluster_of(school):
    """The name shown for the cluster of a SchoolInfo ("" on SQLite)."""
    if settings.SCHOOL_ENGINE != MONGODB:
        return ""
    return OWN_CLUSTER if school.mongodb_uri else school.cluster or MAIN_CLUSTER


def counts_query():
    """Schools per cluster value, grouped by the database (a $group on MongoDB)."""
    from School.models import School

    return (
        School.objects.using(DEFAULT_DB_ALIAS).filter(mongodb_uri="").order_by()
        .values("cluster").annotate(schools=Count("pk")).values_list("cluster", "schools")
    )


def schools_per_cluster():
    """{cluster of the pool: number of registered schools}, without schools of their own cluster."""
    counts = dict.fromkeys(settings.MONGODB_CLUSTERS, 0)
    for cluster, schools in counts_query():
        name = cluster or MAIN_CLUSTER
        counts[name] = counts.get(name, 0) + schools
    return counts


def place(requested=""):
    """The cluster name a new school is stored with ("" on SQLite)."""
    if settings.SCHOOL_ENGINE != MONGODB:
        if requested:
            raise ClusterError("--cluster needs MONGODB_URI: this deployment keeps schools in SQLite files")
        return ""
    pool = list(settings.MONGODB_CLUSTERS)
    if requested:
        if requested not in settings.MONGODB_CLUSTERS:
            raise ClusterError(f"unknown cluster {requested!r}; clusters: {', '.join(pool)}")
        return requested
    counts = schools_per_cluster()
    # Fewest schools first; on a tie, the order of MONGODB_CLUSTERS.
    return min(pool, key=lambda name: (counts.get(name, 0), pool.index(name)))
