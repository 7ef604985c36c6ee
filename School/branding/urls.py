from django.urls import path

from School.branding import views

urlpatterns = [
    path("branding/", views.branding_page, name="branding"),
    path("branding/style/<slug:version>.css", views.style, name="branding-style"),
    path("branding/logo/<slug:digest>.<slug:extension>", views.logo, name="branding-logo"),
]
