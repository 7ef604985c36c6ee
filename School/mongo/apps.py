"""Django's contrib apps with MongoDB's ObjectId primary keys.

Used instead of Django's own app configs when MONGODB_URI is set (see
settings.py), as django-mongodb-backend requires.
"""

from axes.apps import AppConfig as AxesConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig
from django_otp.plugins.otp_static.apps import DefaultConfig as StaticConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TotpConfig

OBJECT_ID_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    default_auto_field = OBJECT_ID_FIELD


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID_FIELD


class MongoAxesConfig(AxesConfig):
    default_auto_field = OBJECT_ID_FIELD


class MongoOTPTotpConfig(TotpConfig):
    default_auto_field = OBJECT_ID_FIELD


class MongoOTPStaticConfig(StaticConfig):
    default_auto_field = OBJECT_ID_FIELD
