from django.urls import path

from School.accounts import sign_in, views

urlpatterns = [
    path("accounts/login/", sign_in.SignInView.as_view(), name="sign-in"),
    path("accounts/login/code/", sign_in.sign_in_code, name="sign-in-code"),
    path("accounts/logout/", views.SignOutView.as_view(), name="sign-out"),
    path("accounts/two-factor/", views.two_factor, name="two-factor"),
    path("accounts/invitation/<str:secret>/", views.accept_invitation, name="invitation-accept"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    # The same page under the name Django's admin sign-in looks for: its "forgotten?" link appears.
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="admin_password_reset"),
    path("accounts/password-reset/sent/", views.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("api/tokens/", sign_in.CreateTokenView.as_view(), name="api-token-create"),
]
