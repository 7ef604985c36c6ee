"""worker: run jobs from the queue (Huey's consumer), for every school.

What `up` runs beside the development server and deploy/systemd/school-worker.service
runs in production; as many as JOBS_URL allows (one machine for the embedded
SQLite queue, any number against Redis).
"""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from School.jobs import catalogue  # noqa: F401  (every feature's job kinds, before a job is taken)
from School.jobs.broker import broker, describe


def positive(value):
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Run background jobs (imports, mail, scheduled work) from the queue of JOBS_URL."

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=positive, default=2, help="worker processes (2)")
        parser.add_argument(
            "--no-schedule", action="store_true",
            help="take jobs only; leave the scheduled ones to another worker",
        )

    def handle(self, *args, processes, no_schedule, **options):
        if not logging.getLogger("huey").handlers and not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        try:
            huey = broker()
        except Exception as error:
            raise CommandError(str(error)) from error
        # Worker processes are forked from this one: none may share its connections.
        connections.close_all()
        self.stdout.write(f"Worker: {processes} processes on {describe()}")
        consumer = huey.create_consumer(
            workers=processes, worker_type="process", periodic=not no_schedule,
            # A killed worker process is replaced (and its job settled) within a second;
            # an idle one looks at the embedded queue every JOBS_POLL_SECONDS (Redis wakes it at once).
            check_worker_health=True, health_check_interval=1, initial_delay=0.05, max_delay=settings.JOBS_POLL_SECONDS,
        )
        consumer.run()
