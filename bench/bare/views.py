from django.shortcuts import render

from bench.bare.models import Student


def students(request):
    return render(request, "bare/students.html", {"students": Student.objects.order_by("registration_no")[:50]})
