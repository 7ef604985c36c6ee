from django.urls import path

from bench.bare.views import students

urlpatterns = [path("", students)]
