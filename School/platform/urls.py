from django.urls import path

from School.identity import views as identity_views
from School.platform import views

app_name = "platform"
urlpatterns = [
    path("", views.overview, name="dashboard"),
    path("duplicates/", identity_views.duplicates, name="duplicates"),
    path("charts/<slug:name>.svg", views.chart, name="chart"),
    path("census.xlsx", views.census, name="census"),
    path("schools/<str:name>/backup", views.back_up, name="back-up"),
    path("schools/<str:name>/resume", views.resume, name="resume"),
]
