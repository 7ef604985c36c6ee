from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('School', '0003_student_records'),
    ]

    operations = [
        migrations.AddField(
            model_name='school',
            name='database',
            field=models.CharField(blank=True, help_text='Where the data is when not in the default place: a SQLite file, or a MongoDB database name (set by restore --replace and move).', max_length=1000),
        ),
    ]
