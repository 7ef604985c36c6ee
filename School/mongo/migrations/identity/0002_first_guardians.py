# Each student's guardian_name and guardian_phone become its first guardian (issue 33); the same step in both trees.

from django.db import migrations

from School.identity.first_guardians import move_guardians


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(move_guardians, migrations.RunPython.noop),
    ]
