"""Long work in the background, on Huey: imports, mail, scheduled runs, with progress a person can see.

Every job names its school (`Job.school`, the alias) and runs inside that
school's context, language and time zone (`running.py`), never whatever school
the worker process ran last. It is handed to the broker only when the school's
transaction commits (`submit.py`), so a rolled-back write leaves no job. The
broker is Huey's: `SqliteHuey` under SCHOOL_DATA_DIR by default, `RedisHuey`
when JOBS_URL is `redis://...` (`broker.py`); never a school's database.

    kinds.py      what a job can be (a function registered by the feature that owns it)
    models.py     Job: one row per job in `default` (the registry), read per school
    submit.py     enqueue on commit; QueueUnavailable when the broker cannot take it
    running.py    one job's run in the worker: school, locale, state, progress, result
    broker.py     the Huey instance of JOBS_URL, its one task and the worker's start-up recovery
    catalogue.py  the features' job modules, imported before a worker takes a job
    report.py     depth, oldest waiting and failures for `schools jobs`, the dashboard and /metrics
    schedules.py  scheduled work on the queue's own scheduler, each schedule a setting
    views.py      the Jobs pages of a school's staff;  cli.py  `schools jobs`
"""
