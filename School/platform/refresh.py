"""`schools refresh-figures [NAME | --all]`: recount schools from their own databases, through the fan-out.

Schools are counted in worker processes and stored by this one, `batch` to a
transaction: after a `kill -9` every finished batch is stored and right, and
a rerun counts everything again. Drift (figures that differed from what the
school holds) is reported and repaired; an unreachable school is marked and
the others go on.
"""

import time
from collections import Counter

from School.operations.fanout import Progress, map_schools
from School.operations.provisioning import migration_graph_nodes
from School.platform.figures import count_schools, store
from School.platform.national import take_snapshot

DEFAULT_BATCH = 100
# Schools a worker counts per task (fewer when there are few schools, so that every worker gets some).
CHUNK = 50


def refresh(schools, jobs, stdout, stderr, batch=DEFAULT_BATCH):
    """Recount `schools`; returns the number of schools per outcome ("counted", "unchanged", "failed", ...)."""
    started = time.monotonic()
    progress = Progress(len(schools), stdout)
    counts, drifted = Counter(), 0
    waiting = []

    def store_waiting():
        nonlocal drifted
        for stored in store(waiting):
            progress.update(stored)
            counts[stored.status] += 1
            if stored.status == "failed":
                stderr.write(f"{stored.school}: unreachable: {stored.detail}\n")
            if stored.drift:
                drifted += 1
                stderr.write(f"{stored.school}: drift repaired: the figures said {stored.drift[0]} students, it has {stored.drift[1]}\n")
        waiting.clear()

    migration_graph_nodes()  # read once here, not once per forked worker
    size = max(1, min(CHUNK, len(schools) // (4 * jobs)))
    chunks = [schools[start:start + size] for start in range(0, len(schools), size)]
    for counted_chunk in map_schools(count_schools, chunks, jobs):
        waiting.extend(counted_chunk)
        if len(waiting) >= batch:
            store_waiting()
    store_waiting()
    take_snapshot()
    seconds = time.monotonic() - started
    detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    stdout.write(f"\nrefresh-figures for {len(schools)} schools in {seconds:.1f}s: {detail or 'nothing to do'}; {drifted} drifted\n")
    stdout.flush()
    return counts
