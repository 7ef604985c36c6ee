from django.urls import path

from School import views

urlpatterns = [
    path("", views.student_list, name="index"),
    # <str:pk>: ids are ObjectIds on MongoDB, integers on SQLite.
    path("students/<str:pk>/", views.student_detail, name="student-detail"),
    path("healthz", views.health, name="health"),
]
