# Existing students into the school year: written by hand (issue 32); the same step in both migration trees.

from django.db import migrations

from School.school_year.seeding import enrol_existing_students


class Migration(migrations.Migration):

    dependencies = [
        ('school_year', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(enrol_existing_students, migrations.RunPython.noop),
    ]
