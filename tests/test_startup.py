"""A school_manage.py command with nothing to do does not import the web side (issue 19).

What it costs is measured in bench/startup.py (never timed here); what this
test holds is the cause of the cost: the modules such a command imports.
"""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# What the pages need, not what django.setup() itself imports (DRF and drf-spectacular register their checks).
WEB_SIDE = ["School.urls", "rest_framework.serializers", "drf_spectacular.views", "openpyxl", "jinja2", "requests", "yaml"]

PROBE = f"""
import io, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "multitenant.settings")
from School.cli import main
out = io.StringIO()
status = main(["school_manage.py", *sys.argv[1:]], stdout=out)
print(json.dumps({{"status": status, "output": out.getvalue(), "imported": [m for m in {WEB_SIDE!r} if m in sys.modules]}}))
"""


def run_probe(platform, *args):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=ROOT, env=platform.env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["schools", "list"], ["hosts"]])
def test_registry_commands_import_no_view_template_or_api_module(three_schools, args):
    outcome = run_probe(three_schools, *args)
    assert outcome["status"] == 0
    assert outcome["imported"] == []


def test_check_still_checks_the_pages(three_schools, run_cli):
    """The checks those commands skip (urls, admin, templates, compatibility) still run with `check`."""
    result = run_cli("check", "--tag", "urls", "--tag", "admin", "--tag", "templates", script="manage.py")
    assert result.returncode == 0 and "no issues" in result.stdout, result.stderr
