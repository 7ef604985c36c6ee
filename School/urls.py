from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from School import views
from School.records import api, import_views

api_router = DefaultRouter()
api_router.register("students", api.StudentViewSet, basename="student")
api_urls = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    *api_router.urls,
]

urlpatterns = [
    path("", views.student_list, name="index"),
    path("students/export.csv", import_views.student_export, name="student-export"),
    path("students/export.xlsx", import_views.student_export_xlsx, name="student-export-xlsx"),
    path("students/import/", import_views.student_import, name="student-import"),
    # <str:pk>: ids are ObjectIds on MongoDB, integers on SQLite.
    path("students/<str:pk>/", views.student_detail, name="student-detail"),
    # The API has a namespace of its own: its router names routes such as
    # `student-detail`, which must never shadow the pages' names in reverse().
    path("api/", include((api_urls, "api"))),
    path("healthz", views.health, name="health"),
    # The dashboard across schools: the default school's hosts only, platform staff only.
    path("platform/", include("School.platform.urls")),
    # Sign-in for the staff pages and password-made API tokens (School/security/).
    path("", include("School.security.urls")),
]
