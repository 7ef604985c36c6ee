from django.db import models


class Student(models.Model):
    """The tutorial's model, reading the same table as the full page."""

    registration_no = models.CharField(max_length=64)
    first_name = models.CharField(max_length=100)
    second_name = models.CharField(max_length=100)

    class Meta:
        managed = False
        db_table = "School_student"
