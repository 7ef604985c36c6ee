"""Sign-in for the staff pages, and API tokens made with a password.

Both authenticate through django.contrib.auth with the request, so
django-axes counts their failures and locks them like the admin's login.
Their URLs are routed to School/accounts/sign_in.py, which adds the second
factor to both.
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.views import LoginView
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from School.branding.looks import welcome_of
from School.locale.activation import PlatformLocaleMixin
from School.security.tokens import create_token


class SignInView(LoginView):
    template_name = "security/sign_in.html"
    redirect_authenticated_user = False

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "welcome": welcome_of(self.request)}


def sign_in_page(request):
    """What an anonymous visitor of `/` sees in production: the school's name and this form."""
    return SignInView.as_view(extra_context={"next": request.get_full_path()})(request)


NO_NULL = RegexValidator(r"^[^\x00]*$")


class TokenRequest(serializers.Serializer):
    # min_length and the pattern put in the schema what the field refuses anyway (blank).
    # Every text refuses a null character (DRF's CharField does); the patterns state it in the schema.
    username = serializers.CharField(max_length=150, min_length=1, validators=[RegexValidator(r"^[^\x00]*[^\s\x00][^\x00]*$")])
    password = serializers.CharField(max_length=4096, min_length=1, trim_whitespace=False, validators=[NO_NULL])
    name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True, validators=[NO_NULL])
    code = serializers.CharField(
        max_length=32, required=False, default="", allow_blank=True, validators=[NO_NULL],
        help_text="The second factor's code, for users who have one.",
    )


class NewToken(serializers.Serializer):
    key = serializers.CharField(help_text="The key: shown only in this response.")
    name = serializers.CharField()
    expires_at = serializers.DateTimeField()
    days = serializers.IntegerField()


class CreateTokenView(PlatformLocaleMixin, APIView):
    """POST username, password (and a name): a new key of this school, shown once."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequest, responses={201: NewToken, 400: None, 401: None, 403: None, 429: None},
        description="Make an API token of this school with a user's name and password (and, for users with "
        "two-factor sign-in, the `code` of their authenticator app). The key is shown in this answer only; send "
        "it as `Authorization: Token <key>`. 401: wrong name, password or code; 403: set up two-factor sign-in "
        "first; 429: too many failures, the account is locked for a while.",
    )
    def post(self, request):
        form = TokenRequest(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request._request, username=form.validated_data["username"], password=form.validated_data["password"]
        )
        if user is None:
            # A locked-out client is answered 429 by axes' middleware instead.
            return Response({"detail": "Wrong user name or password."}, status=status.HTTP_401_UNAUTHORIZED)
        refusal = self.refusal(request._request, user, form.validated_data)
        if refusal is not None:
            return refusal
        key, token = create_token(user, form.validated_data["name"])
        return Response(
            {"key": key, "name": token.name, "expires_at": token.expires_at, "days": settings.API_TOKEN_DAYS},
            status=status.HTTP_201_CREATED,
        )

    def refusal(self, request, user, data):
        """A response refusing a token to `user` despite the right password, or None."""
        return None

