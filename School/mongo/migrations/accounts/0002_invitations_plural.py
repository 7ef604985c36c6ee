# The admin names the list of invitations in the school's language (an explicit, translated plural).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="invitation",
            options={"ordering": ["-created_at"], "verbose_name": "invitation", "verbose_name_plural": "invitations"},
        ),
    ]
