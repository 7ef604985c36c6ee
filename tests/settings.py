"""The project's settings, with the data directory in a throw-away place.

Fixtures in conftest.py point each test at its own directory; this only keeps
a stray access from touching the developer's ./var.
"""

import os
import tempfile

os.environ.setdefault("SCHOOL_DATA_DIR", tempfile.mkdtemp(prefix="school-tests-"))
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER and os.environ.get("SCHOOL_TESTS_WORKER") != _WORKER:
    # Parallel test processes (pytest -n) inherit the runner's directory: each migrates its own
    # `default` in a directory of its own. The servers and commands a test starts inherit the
    # mark, and keep the directory the test gives them.
    os.environ["SCHOOL_DATA_DIR"] = tempfile.mkdtemp(prefix=f"{_WORKER}-", dir=os.environ["SCHOOL_DATA_DIR"])
    os.environ["SCHOOL_TESTS_WORKER"] = _WORKER
if os.environ.get("MONGODB_URI"):
    # Throw-away databases on the given server: test_<run>_<test>_<school>.
    os.environ.setdefault("MONGODB_DB_PREFIX", f"test_{os.urandom(3).hex()}_")

from multitenant.settings import *  # noqa: E402,F403

# Tests create users on many schools; the real hasher is deliberately slow.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The figures follow writes in a background thread of the writing process;
# tests that need it turn it on (settings.FIGURES_FOLLOW_DELAY = 0).
FIGURES_FOLLOW_DELAY = -1

# Jobs run where they are submitted, as part of the request; the tests of the
# queue itself (tests/test_jobs_*.py) turn this off and start a real worker.
JOBS_IMMEDIATE = True
