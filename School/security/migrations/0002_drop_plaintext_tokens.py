"""Drop DRF authtoken's table, which held every API key in plain text.

Those keys stopped working when hashed tokens replaced DRF authtoken; keeping
them would still hand them to anyone with a copy or a backup of the database.
Users make new keys with `drf_create_token` or POST /api/tokens/.
"""

from django.db import migrations

PLAINTEXT_TABLE = "authtoken_token"


def drop_plaintext_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "mongodb":
        connection.database.drop_collection(PLAINTEXT_TABLE)
    elif PLAINTEXT_TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(PLAINTEXT_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("security", "0001_audit_and_tokens")]

    operations = [migrations.RunPython(drop_plaintext_tokens, migrations.RunPython.noop)]
