"""The same step as School/security/migrations/0002_drop_plaintext_tokens.py, on MongoDB."""

import importlib

from django.db import migrations

drop_plaintext_tokens = importlib.import_module(
    "School.security.migrations.0002_drop_plaintext_tokens"
).drop_plaintext_tokens


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [migrations.RunPython(drop_plaintext_tokens, migrations.RunPython.noop)]
