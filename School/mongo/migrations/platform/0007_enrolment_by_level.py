"""The same steps as School/platform/migrations/0007_enrolment_by_level.py (plain added columns), on MongoDB."""

import importlib

from django.db import migrations

same_steps = importlib.import_module("School.platform.migrations.0007_enrolment_by_level").Migration.operations


class Migration(migrations.Migration):
    dependencies = [("platform", "0006_indicator_snapshot")]

    operations = same_steps
