from django.urls import path

from School import import_views, views

urlpatterns = [
    path("", views.student_list, name="index"),
    path("students/export.csv", import_views.student_export, name="student-export"),
    path("students/import/", import_views.student_import, name="student-import"),
    # <str:pk>: ids are ObjectIds on MongoDB, integers on SQLite.
    path("students/<str:pk>/", views.student_detail, name="student-detail"),
    path("healthz", views.health, name="health"),
]
