"""Settings of the school records platform, read from the environment.

Environment variables (all optional on a developer machine):

  DJANGO_SECRET_KEY     secret key; without it one is generated once and kept
                        in <data dir>/secret_key (outside git)
  DJANGO_DEBUG          "1"/"true" to turn debug pages on (off by default)
  DJANGO_LOG_LEVEL      root log level (INFO)
  SCHOOL_DATA_DIR       where the embedded default keeps its files (./var)
  SCHOOL_REGISTRY_TTL   seconds a worker trusts its cached school registry
                        before checking for changes made elsewhere (1.0)
  MONGODB_URI           switches storage to MongoDB (one database per school)
  MONGODB_DB_PREFIX     prefix of each school's MongoDB database (school_)
  MONGODB_TIMEOUT_MS    how long to wait for an unreachable cluster (5000)
  USE_X_FORWARDED_HOST  "1" behind a proxy that sets X-Forwarded-Host
  DJANGO_STATIC_ROOT    where `collectstatic` puts assets in production
"""

import os
import secrets
from pathlib import Path

from multitenant.databases import MONGODB, engine_for, school_database

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(data_dir):
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    # Development: one random key per checkout, kept out of git, so sessions
    # survive restarts without anybody committing a key.
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SCHOOL_DATA_DIR = Path(os.environ.get("SCHOOL_DATA_DIR") or BASE_DIR / "var").resolve()
SCHOOL_DB_DIR = SCHOOL_DATA_DIR / "db"
SCHOOL_REGISTRY_TTL = float(os.environ.get("SCHOOL_REGISTRY_TTL", "1.0"))

SECRET_KEY = _secret_key(SCHOOL_DATA_DIR)
DEBUG = env_flag("DJANGO_DEBUG")

# Every host is checked against the school registry by
# School.middleware.SchoolMiddleware, which answers unknown hosts with a 404
# before any view runs. A static list here could not follow schools added at
# run time, and a leading-dot pattern would admit every depth of subdomain.
ALLOWED_HOSTS = ["*"]
USE_X_FORWARDED_HOST = env_flag("USE_X_FORWARDED_HOST")

MONGODB_URI = os.environ.get("MONGODB_URI", "")
MONGODB_DB_PREFIX = os.environ.get("MONGODB_DB_PREFIX", "school_")
MONGODB_TIMEOUT_MS = int(os.environ.get("MONGODB_TIMEOUT_MS", "5000"))
# Only for generating and checking the MongoDB migration tree without a server.
SCHOOL_DATABASES_OFFLINE = env_flag("SCHOOL_DATABASES_OFFLINE")
SCHOOL_ENGINE = engine_for(MONGODB_URI)

if SCHOOL_ENGINE == MONGODB:
    _contrib_apps = [
        "School.mongo.apps.MongoAdminConfig",
        "School.mongo.apps.MongoAuthConfig",
        "School.mongo.apps.MongoContentTypesConfig",
    ]
    DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
    MIGRATION_MODULES = {
        "admin": "School.mongo.migrations.admin",
        "auth": "School.mongo.migrations.auth",
        "contenttypes": "School.mongo.migrations.contenttypes",
        "School": "School.mongo.migrations.School",
    }
    DATABASE_ROUTERS = ["django_mongodb_backend.routers.MongoRouter", "School.router.SchoolRouter"]
else:
    # The default school's file is the one SQLite file created implicitly, as
    # Django would, so that `manage.py migrate` works on a fresh clone.
    SCHOOL_DB_DIR.mkdir(parents=True, exist_ok=True)
    (SCHOOL_DB_DIR / "default.sqlite3").touch()
    _contrib_apps = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
    ]
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    DATABASE_ROUTERS = ["School.router.SchoolRouter"]

INSTALLED_APPS = [
    *_contrib_apps,
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # API tokens are rows of the school's own database: a token is worth
    # nothing at any other school.
    "rest_framework.authtoken",
    "drf_spectacular",
    "School.apps.SchoolConfig",
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reading needs a signed-in user or a token; writing needs the model's
    # add/change/delete permission (superusers have them all).
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "School records API",
    "DESCRIPTION": "The students of the school whose host name the request is sent to.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files need no school: served before the school is resolved.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Chooses the school (and so the database) for everything below it:
    # sessions, users and the admin log all live in the school's database.
    "School.middleware.SchoolMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "multitenant.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "School.context_processors.current_school",
                "School.context_processors.layout_links",
            ],
        },
    },
    # The hot page (the student table) renders with Jinja2: Django's engine was
    # 80% of that page's time in the profile. Autoescaping stays on: names are
    # user input.
    # The admin and the other pages keep Django templates; base.html is
    # written in the syntax both read.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "autoescape": True,
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "School.context_processors.current_school",
                "School.context_processors.layout_links",
            ],
        },
    },
]

WSGI_APPLICATION = "multitenant.wsgi.application"
ASGI_APPLICATION = "multitenant.asgi.application"

# Only `default` is known when settings load: it is a school (the root host)
# and holds the registry. Every other school's alias is added from the
# registry by School.connections, complete with Django's defaults.
DATABASES = {
    "default": school_database(
        "default",
        engine=SCHOOL_ENGINE,
        db_dir=SCHOOL_DB_DIR,
        mongodb_uri=MONGODB_URI,
        db_prefix=MONGODB_DB_PREFIX,
        timeout_ms=MONGODB_TIMEOUT_MS,
        offline=SCHOOL_DATABASES_OFFLINE,
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Production may `collectstatic` into DJANGO_STATIC_ROOT; without it WhiteNoise
# serves straight from the apps (below).
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or None
# Pages work offline and without `collectstatic` on a fresh clone: WhiteNoise
# serves the project's own assets straight from the apps' static folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Each school has its own session table, and cookies stay host-only (no
# SESSION_COOKIE_DOMAIN), so a session cookie from one school names no session
# at another.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"school": {"()": "School.log_filters.SchoolFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(school)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["school"], "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver logs every request itself; keep that at WARNING by default.
        "django.server": {"level": os.environ.get("DJANGO_SERVER_LOG_LEVEL", "WARNING")},
    },
}
