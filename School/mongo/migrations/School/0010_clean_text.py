"""The same steps as School/migrations/0010_clean_text.py, on MongoDB.

The operations are the SQL tree's own: the changed fields (dates' validators)
are alike on both engines, and the cleaning is written with the ORM alone.
"""

import importlib

from django.db import migrations

same_steps = importlib.import_module("School.migrations.0010_clean_text").Migration.operations


class Migration(migrations.Migration):

    dependencies = [
        ('School', '0009_student_transfer_permission'),
    ]

    operations = same_steps
