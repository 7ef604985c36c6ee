from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from School import views
from School.locale import preferences
from School.records import api, import_views
from School.school_year import api as school_year_api
from School.register.api import RegisterView, StudentAttendanceView

api_router = DefaultRouter()
api_router.register("students", api.StudentViewSet, basename="student")
api_router.register("years", school_year_api.YearViewSet, basename="year")
api_router.register("classes", school_year_api.ClassViewSet, basename="class")
api_router.register("enrolments", school_year_api.EnrolmentViewSet, basename="enrolment")
api_urls = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The daily register (School/register/api.py): read and take one register.
    path("registers/", RegisterView.as_view(), name="registers"),
    path("students/<str:pk>/attendance/", StudentAttendanceView.as_view(), name="student-attendance"),
    *api_router.urls,
]

urlpatterns = [
    path("", views.student_list, name="index"),
    path("students/export/", import_views.export_page, name="student-export-page"),
    path("students/export.csv", import_views.student_export, name="student-export"),
    path("students/export.xlsx", import_views.student_export_xlsx, name="student-export-xlsx"),
    path("students/export/<uuid:job_id>/file", import_views.export_file, name="student-export-file"),
    path("students/import/", import_views.student_import, name="student-import"),
    # Students' photos and documents (School/documents/); before students/<pk>/.
    path("", include("School.documents.urls")),
    # <str:pk>: ids are ObjectIds on MongoDB, integers on SQLite.
    path("students/<str:pk>/", views.student_detail, name="student-detail"),
    # The API has a namespace of its own: its router names routes such as
    # `student-detail`, which must never shadow the pages' names in reverse().
    path("api/", include((api_urls, "api"))),
    path("language/", preferences.language_page, name="language"),
    path("healthz", views.health, name="health"),
    # The dashboard across schools: the default school's hosts only, platform staff only.
    path("platform/", include("School.platform.urls")),
    # Sign-in (with the second factor), sign-out, invitations, password resets
    # and password-made API tokens (School/accounts/, over School/security/).
    path("", include("School.accounts.urls")),
    # Each school's logo, colours and sign-in welcome (School/branding/).
    path("", include("School.branding.urls")),
    # Students moving to another school of the platform (School/transfers/).
    path("", include("School.transfers.urls")),
    # Background jobs of the school: imports, mail (School/jobs/).
    path("", include("School.jobs.urls")),
    # Classes, class lists, promotion day and the grade ladder (School/school_year/pages/).
    path("", include("School.school_year.urls")),
    # The daily register: taking it, and today's registers and absentees (School/register/pages/).
    path("", include("School.register.urls")),
]
