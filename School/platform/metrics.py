"""`/metrics` for Prometheus: requests and latency by kind of host, and the state of the schools.

Request counters live in prometheus-client's multiprocess files when
PROMETHEUS_MULTIPROC_DIR is set (deploy/gunicorn.conf.py sets it before the
application is imported and empties it when gunicorn starts), so that every
gunicorn worker's requests add up in one scrape. The schools' gauges are
computed at scrape time from the registry and the figures in `default`
(counting queries, never opening a school). No label names a school: one
time series per school would break a Prometheus server at 100,000 schools.

Only clients at METRICS_ALLOWED_ADDRESSES (the TCP peer; a request that came
through the proxy, with X-Forwarded-For, does not count as local) or with
`Authorization: Bearer METRICS_TOKEN` get an answer; everyone else a 404.
deploy/Caddyfile answers /metrics with 404 itself, since behind it every
request reaches gunicorn from loopback.
"""

import datetime
import hmac
import os
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from School.middleware import SyncAndAsyncMiddleware

METRICS_PATH = "/metrics"
SCHOOL, UNKNOWN, SUSPENDED = "school", "unknown", "suspended"

REQUESTS = Counter("school_http_requests", "HTTP requests answered, by status code and kind of host.", ["status", "host_kind"])
LATENCY = Histogram(
    "school_http_request_duration_seconds", "Time to answer a request, by kind of host.", ["host_kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def host_kind(request, response):
    # SchoolMiddleware sets request.school for a host it serves; it refuses
    # a suspended school's hosts with 503 and unknown or malformed ones with 4xx.
    if getattr(request, "school", None) is not None:
        return SCHOOL
    return SUSPENDED if response.status_code == 503 else UNKNOWN


def observe(request, response, started):
    kind = host_kind(request, response)
    REQUESTS.labels(str(response.status_code), kind).inc()
    LATENCY.labels(kind).observe(time.perf_counter() - started)


class PlatformCollector:
    """The schools' gauges, read from `default` at scrape time."""

    def collect(self):
        from School.models import SchoolHost
        from School.platform.health import attention_counts

        total, suspended, students, per_problem = attention_counts()
        states = GaugeMetricFamily("school_schools", "Registered schools, by state.", labels=["state"])
        states.add_metric(["active"], total - suspended)
        states.add_metric(["suspended"], suspended)
        yield states
        yield GaugeMetricFamily("school_registry_hosts", "Host names in the registry.", value=SchoolHost.objects.using("default").count())
        attention = GaugeMetricFamily(
            "school_schools_needing_attention", "Schools with a problem, by problem (see `schools health`).", labels=["problem"]
        )
        for problem, count in per_problem.items():
            attention.add_metric([problem.replace(" ", "_")], count)
        yield attention
        yield GaugeMetricFamily("school_students", "Students in every school, as last counted.", value=students)
        yield from _job_metrics()


def _job_metrics():
    """The job queue's depth and outcomes, the platform's whole (never by school)."""
    from School.jobs.report import outcomes_since, queue_summary

    summary = queue_summary()
    yield GaugeMetricFamily("school_jobs_queue_up", "1 if the job queue's broker answers.", value=int(summary["reachable"]))
    if summary["reachable"]:
        yield GaugeMetricFamily("school_jobs_waiting", "Messages waiting in the job queue (ready, and retries due later).",
                                value=summary["waiting"])
    states = GaugeMetricFamily("school_jobs", "Jobs by state (queued, running, done, failed).", labels=["state"])
    for state, count in summary["states"].items():
        states.add_metric([state], count)
    yield states
    oldest = summary["oldest_waiting"]
    yield GaugeMetricFamily("school_jobs_oldest_waiting_seconds", "Age of the oldest job still waiting (0 if none).",
                            value=(timezone.now() - oldest).total_seconds() if oldest else 0)
    ended = outcomes_since(timezone.now() - datetime.timedelta(days=1))
    outcomes = GaugeMetricFamily("school_jobs_ended_last_day", "Jobs that ended in the last day, by outcome.", labels=["outcome"])
    for outcome in ("done", "failed"):
        outcomes.add_metric([outcome], ended.get(outcome, 0))
    yield outcomes


def scrape():
    """The text of one scrape: the request metrics (of every worker) and the schools' gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessMetrics())
    registry.register(PlatformCollector())
    return generate_latest(registry)


class _ProcessMetrics:
    """This process's own request metrics, when not running under gunicorn's multiprocess mode."""

    def collect(self):
        for collector in (REQUESTS, LATENCY):
            yield from collector.collect()


def may_scrape(request):
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    came_through_proxy = "X-Forwarded-For" in request.headers
    return request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_ADDRESSES and not came_through_proxy


def metrics_response(request):
    if not may_scrape(request):
        return HttpResponseNotFound("not found\n", content_type="text/plain")
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)


class RequestMetricsMiddleware(SyncAndAsyncMiddleware):
    """Outermost: counts and times every response (refusals too), and answers /metrics on any host."""

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if request.path == METRICS_PATH:
            return metrics_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        observe(request, response, started)
        return response

    async def __acall__(self, request):
        if request.path == METRICS_PATH:
            return await sync_to_async(metrics_response)(request)
        started = time.perf_counter()
        response = await self.get_response(request)
        observe(request, response, started)
        return response

