"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py`.

Listens on loopback only: Caddy (deploy/Caddyfile) is the one client, and the
X-Forwarded-Proto header Django trusts in the production profile must not be
reachable by anybody else. Values can be changed from the environment.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

# prometheus-client reads this when it is first imported (by the application,
# preloaded below): every worker then writes its counters to files there,
# which /metrics adds up (School/platform/metrics.py).
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(os.environ.get("SCHOOL_DATA_DIR") or Path(__file__).resolve().parent.parent / "var") / "metrics"),
)

wsgi_app = "multitenant.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# One thread a worker on the embedded default: requests there are CPU work
# and a school's writes go one at a time. Threads of one worker take turns
# at Python's GIL, and a thread holding a school's write lock waits for its
# turn too, while every other writer waits for the lock (bench/busy_writers.py:
# 4 threads write less per second than 1). On MongoDB requests wait on the
# network, which threads overlap.
threads = int(os.environ.get("GUNICORN_THREADS", "4" if os.environ.get("MONGODB_URI") else "1"))
# Database clients are created lazily after the fork (see README), so loading
# the application once in the master is safe and saves memory.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then: bounds any slow growth of per-worker caches.
max_requests = 10000
max_requests_jitter = 1000
# Caddy's address: gunicorn believes its X-Forwarded-* headers, nobody else's.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%({host}i)s" "%(r)s" %(s)s %(b)s %(L)ss'
raw_env = ["DJANGO_ENV=production"]


def on_starting(server):
    # Counters of a previous run would be added to this one's.
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    # Recount now the schools this worker changed in the last few seconds.
    from School.platform.follow import flush_at_exit

    flush_at_exit()
