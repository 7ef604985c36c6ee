from django.urls import path

from School import views

urlpatterns = [
    path("", views.student_list, name="index"),
    path("healthz", views.health, name="health"),
]
