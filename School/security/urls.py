from django.urls import path

from School.security import views

urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="sign-in"),
    path("api/tokens/", views.CreateTokenView.as_view(), name="api-token-create"),
]
