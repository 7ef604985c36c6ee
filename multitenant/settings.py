"""Settings of the school records platform, read from the environment.

Environment variables (all optional on a developer machine):

  DJANGO_SECRET_KEY     secret key; without it one is generated once and kept
                        in <data dir>/secret_key (outside git)
  DJANGO_DEBUG          "1"/"true" to turn debug pages on (off by default)
  DJANGO_LOG_LEVEL      root log level (INFO)
  SCHOOL_DATA_DIR       where the embedded default keeps its files (./var)
  SCHOOL_REGISTRY_TTL   seconds a worker trusts its cached school registry
                        before checking for changes made elsewhere (1.0)
  SCHOOL_PATH_PREFIX    path mode: "/s/" serves https://HOST/s/<school>/ on the
                        `default` school's hosts, beside each school's own
                        hosts; empty (the default): off
  SCHOOL_REGISTRY_CACHE_SIZE          hosts (and school names) a worker keeps
                                      resolved (4096); the rest are looked up
  SCHOOL_REGISTRY_UNKNOWN_CACHE_SIZE  unknown hosts a worker remembers (4096)
  SCHOOL_CONN_MAX_AGE   seconds a worker thread keeps a school's SQLite
                        connection (and its page cache) open between
                        requests (60; 0 closes it after every request)
  SCHOOL_SQLITE_BUSY_TIMEOUT  seconds a writer waits for another writer's
                        lock on a school's SQLite file before giving up (20)
  SCHOOL_SQLITE_SYNCHRONOUS   FULL (every commit survives a power cut) or
                        NORMAL (the last commits may not); FULL
  SCHOOL_SQLITE_HEAP_MIB  most memory (MiB) SQLite keeps in one worker
                        process, page caches of every school included (8)
  SCHOOL_KEPT_CONNECTIONS  schools whose connections a worker thread keeps
                        open at most (64): the least recently served go first
  MONGODB_URI           switches storage to MongoDB (one database per school)
  MONGODB_DB_PREFIX     prefix of each school's MongoDB database (school_)
  MONGODB_TIMEOUT_MS    how long to wait for an unreachable cluster (5000)
  MONGODB_CLUSTERS      more clusters for new schools: "east=mongodb://...;west=mongodb+srv://..."
  CACHE_URL             the cache every worker shares (rate limits): a
                        directory under the data dir by default, or
                        redis://host:6379/0 (multitenant/caches.py)
  JOBS_URL              the job queue (School/jobs/): unset, a SQLite file
                        under the data dir; redis://host:6379/1 in production
  SCHOOL_JOB_MODULES    more modules registering job kinds (comma-separated)
  IMPORT_MAX_UNPACKED_MB, IMPORT_MAX_ROWS, IMPORT_MAX_ROWS_CLI,
  IMPORT_UPLOAD_EXPIRY_MINUTES  limits of a student import (see below)
  USE_X_FORWARDED_HOST  "1" behind a proxy that sets X-Forwarded-Host
  DJANGO_STATIC_ROOT    where `collectstatic` puts assets in production
  SCHOOL_DEFAULT_LANGUAGE    language of new schools (en; one of LANGUAGES)
  SCHOOL_DEFAULT_TIME_ZONE   IANA time zone of new schools (UTC)
  SCHOOL_DEFAULT_DATE_ORDER  how new schools write dates: dmy, mdy or iso (iso)
  EMAIL_URL             the platform's mail server (smtp://user:pass@host:port);
                        or EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ... as in Django
  DEFAULT_FROM_EMAIL    sender of invitations and password resets
  DJANGO_ENV            "production" for the production profile (HTTPS only,
                        secure cookies, HSTS, student data behind sign-in);
                        "development" (the default) otherwise
  LEARNER_DIGEST_KEY    key of the digests `default` keeps of children (required in
                        production; docs/identity.md); LEARNER_NUMBER_IMPORT_PATTERN,
                        LEARNER_NUMBER_IMPORT_CHECK: national numbers' form
  (the production profile's own variables are listed with it, at the end)
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from multitenant.caches import cache_config
from multitenant.databases import MONGODB, SQLITE_HEAP_MIB, engine_for, parse_clusters, school_database
from multitenant.mail import email_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower() or "development"
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"


def _secret_key(data_dir):
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        # A key generated on one machine would differ between servers and be
        # lost with the disk: sessions and password reset links would break.
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs DJANGO_SECRET_KEY (a long random string, the same on every server)"
        )
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
# Schools by path on the platform's own hosts (School/middleware.py): "/s/" or "" (off).
SCHOOL_PATH_PREFIX = os.environ.get("SCHOOL_PATH_PREFIX", "")
SCHOOL_REGISTRY_CACHE_SIZE = int(os.environ.get("SCHOOL_REGISTRY_CACHE_SIZE", "4096"))
SCHOOL_REGISTRY_UNKNOWN_CACHE_SIZE = int(os.environ.get("SCHOOL_REGISTRY_UNKNOWN_CACHE_SIZE", "4096"))
# A fresh SQLite connection per request re-reads the schema and every page a
# query touches (a broad search at 20,000 students: 2.2 ms cold, 0.6 ms warm).
SCHOOL_CONN_MAX_AGE = int(os.environ.get("SCHOOL_CONN_MAX_AGE", "60"))
SCHOOL_SQLITE_BUSY_TIMEOUT = float(os.environ.get("SCHOOL_SQLITE_BUSY_TIMEOUT", "20"))
SCHOOL_SQLITE_SYNCHRONOUS = os.environ.get("SCHOOL_SQLITE_SYNCHRONOUS", "FULL").upper()
SCHOOL_SQLITE_HEAP_MIB = int(os.environ.get("SCHOOL_SQLITE_HEAP_MIB", str(SQLITE_HEAP_MIB)))
# One file descriptor and a page cache that grows only as far as pages are read,
# per kept school; a worker rotating over more schools than it keeps gets a
# cold connection on every request (bench/tenancy.py, 50 schools: 0.83x with 8).
SCHOOL_KEPT_CONNECTIONS = int(os.environ.get("SCHOOL_KEPT_CONNECTIONS", "64"))

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
# The pool new schools are placed on (fewest schools first); `main` is MONGODB_URI.
MONGODB_CLUSTERS = parse_clusters(os.environ.get("MONGODB_CLUSTERS", ""), MONGODB_URI)
# Only for generating and checking the MongoDB migration tree without a server.
SCHOOL_DATABASES_OFFLINE = env_flag("SCHOOL_DATABASES_OFFLINE")
SCHOOL_ENGINE = engine_for(MONGODB_URI)

if SCHOOL_ENGINE == MONGODB:
    _contrib_apps = [
        "School.mongo.apps.MongoAdminConfig",
        "School.mongo.apps.MongoAuthConfig",
        "School.mongo.apps.MongoContentTypesConfig",
    ]
    _axes_app = "School.mongo.apps.MongoAxesConfig"
    _otp_apps = ["School.mongo.apps.MongoOTPTotpConfig", "School.mongo.apps.MongoOTPStaticConfig"]
    DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
    MIGRATION_MODULES = {
        "admin": "School.mongo.migrations.admin",
        "auth": "School.mongo.migrations.auth",
        "contenttypes": "School.mongo.migrations.contenttypes",
        "School": "School.mongo.migrations.School",
        "axes": "School.mongo.migrations.axes",
        "security": "School.mongo.migrations.security",
        "school_locale": "School.mongo.migrations.school_locale",
        "otp_totp": "School.mongo.migrations.otp_totp",
        "otp_static": "School.mongo.migrations.otp_static",
        "accounts": "School.mongo.migrations.accounts",
        "transfers": "School.mongo.migrations.transfers",
        "documents": "School.mongo.migrations.documents",
        "platform": "School.mongo.migrations.platform",
        "jobs": "School.mongo.migrations.jobs",
        "school_year": "School.mongo.migrations.school_year",
        "identity": "School.mongo.migrations.identity",
        "branding": "School.mongo.migrations.branding",
        "register": "School.mongo.migrations.register",
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
    _axes_app = "axes"
    _otp_apps = ["django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"]
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    DATABASE_ROUTERS = ["School.router.SchoolRouter"]

INSTALLED_APPS = [
    *_contrib_apps,
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "School.apps.SchoolConfig",
    # Lock-outs, hashed API tokens and the audit trail: rows of each school's
    # own database, like its users (see School/security/).
    _axes_app,
    "School.security.apps.SecurityConfig",
    # Each school's language, time zone and date order; users' own language.
    "School.locale.apps.LocaleConfig",
    # Students moving between schools: envelopes in `default`, records in the schools' own databases.
    "School.transfers.apps.TransfersConfig",
    # Students' photos and documents, in each school's own storage (School/documents/).
    "School.documents.apps.DocumentsConfig",
    # Aggregate figures, report, health, dashboard and metrics across schools (School/platform/).
    "School.platform.apps.PlatformConfig",
    # Background jobs on Huey: one row per job in `default`, per school (School/jobs/).
    "School.jobs.apps.JobsConfig",
    # Years, terms, the grade ladder, classes, enrolments and promotion day (School/school_year/).
    "School.school_year.apps.SchoolYearConfig",
    # A student's guardians (and, as issue 33 lands, the learner number), in the school's database (School/identity/).
    "School.identity.apps.IdentityConfig",
    # Each school's logo, colours and sign-in welcome, in its own database (School/branding/).
    "School.branding.apps.BrandingConfig",
    # The daily register: attendance per class and school day (School/register/).
    "School.register.apps.RegisterConfig",
    # Second factors (TOTP devices, recovery codes): plain models, routed to
    # each school's database like its users. Invitations, password resets and
    # sign-out: School/accounts/ (last: its groups need every app's permissions).
    "django_otp",
    *_otp_apps,
    "School.accounts.apps.AccountsConfig",
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Hashed, expiring tokens kept in the school's own database.
        "School.security.tokens.HashedTokenAuthentication",
        # DRF's session authentication, its CSRF check bound to the school (School/security/session_api.py).
        "School.security.session_api.SchoolSessionAuthentication",
    ],
    # Reading needs a signed-in user or a token; writing needs the model's
    # add/change/delete permission (superusers have them all).
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per token (or signed-in user, or address), per school: see School/security/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": ["School.security.throttling.SchoolTokenThrottle"],
}
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/min")
# Student imports (School/records/): limits that a school's real list never
# meets and a zip bomb always does, named in the refusal.
IMPORT_MAX_UNPACKED_MB = int(os.environ.get("IMPORT_MAX_UNPACKED_MB", "100"))  # 20,000 rows: ~11 MB
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "50000"))  # one web import (gunicorn's timeout)
IMPORT_MAX_ROWS_CLI = int(os.environ.get("IMPORT_MAX_ROWS_CLI", "1000000"))  # import_students, with progress
# An upload waiting for its confirmation is deleted after this (School/records/uploads.py).
IMPORT_UPLOAD_EXPIRY_MINUTES = int(os.environ.get("IMPORT_UPLOAD_EXPIRY_MINUTES", "120"))
# The job queue (School/jobs/broker.py): Huey on a SQLite file under the data
# dir, or on Redis. Never a school's database.
JOBS_URL = os.environ.get("JOBS_URL", "").strip()
# Run each job at once in the process that submits it (tests, one-off scripts); never in production.
JOBS_IMMEDIATE = env_flag("JOBS_IMMEDIATE")
# How often an idle worker looks at the embedded (SQLite) queue: what a job may wait before it starts.
JOBS_POLL_SECONDS = float(os.environ.get("JOBS_POLL_SECONDS", "0.25"))
# The queue's own schedule (School/jobs/schedules.py): "MINUTE HOUR DAY MONTH WEEKDAY"
# in UTC, or "off". What each does: docs/operators.md#background-jobs.
JOB_SCHEDULES = {
    name: os.environ.get(f"SCHOOL_SCHEDULE_{name.upper()}", default)
    for name, default in {"backups": "0 1 * * *", "refresh_figures": "30 2 * * *", "prune": "0 3 * * *"}.items()
}
EXPORT_KEEP_HOURS = float(os.environ.get("EXPORT_KEEP_HOURS", "24"))  # an export made by a job is kept this long
BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "14"))  # nightly backups kept per school
SCHEDULE_STALE_HOURS = float(os.environ.get("SCHEDULE_STALE_HOURS", "26"))  # `schools health` flags a schedule after this
JOB_MODULES = [name.strip() for name in os.environ.get("SCHOOL_JOB_MODULES", "").split(",") if name.strip()]
# Shared by every worker, so that a limit holds across them (multitenant/caches.py).
CACHES = {"default": cache_config(os.environ.get("CACHE_URL", ""), SCHOOL_DATA_DIR)}
SPECTACULAR_SETTINGS = {
    "TITLE": "School records API",
    "DESCRIPTION": "The students of the school whose host name the request is sent to.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "School.records.api_schema.school_path_server"],
}

MIDDLEWARE = [
    # Counts and times every response, refusals included, and answers
    # /metrics (loopback or bearer token only) before anything else runs.
    "School.platform.metrics.RequestMetricsMiddleware",
    # Caddy's on-demand TLS question, answered before any school is resolved:
    # it arrives with the Host of the ask URL, not of the school asked about.
    "School.security.tls_ask.TlsAskMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "School.security.headers.ContentSecurityPolicyMiddleware",
    # Above the school middleware: refusals (unknown host, suspended) are framed-denied too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Static files need no school: served before the school is resolved.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Chooses the school (and so the database) for everything below it:
    # sessions, users and the admin log all live in the school's database.
    "School.middleware.SchoolMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's, with secrets bound to the school (School/security/csrf.py); it
    # checks first and marks the request done, so Django's own (kept for its
    # deploy checks, which look for it by name) passes it through.
    "School.security.csrf.SchoolCsrfViewMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the signed-in user kept per worker with the session (School/accounts/kept_sign_ins.py).
    "School.accounts.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with a second factor in this session.
    "School.accounts.middleware.OTPMiddleware",
    # Where a second factor is required, a session without one reaches only /accounts/.
    "School.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The signed-in user's own language over the school's (School/locale/).
    # Not Django's LocaleMiddleware: the school decides, not Accept-Language.
    "School.locale.middleware.UserLanguageMiddleware",
    # After the school is active: lock-out rows live in the school's database.
    "axes.middleware.AxesMiddleware",
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
                "School.context_processors.branding",
                "School.locale.context_processors.language",
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
            # {% trans %} and _() with Django's own translations (School/locale/jinja.py).
            "environment": "School.locale.jinja.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "School.context_processors.current_school",
                "School.context_processors.layout_links",
                "School.context_processors.branding",
                "School.locale.context_processors.language",
                # The form's token, its random mask drawn at once (School/security/csrf.py).
                "School.security.csrf.jinja_csrf_token",
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
        busy_timeout=SCHOOL_SQLITE_BUSY_TIMEOUT,
        synchronous=SCHOOL_SQLITE_SYNCHRONOUS,
        heap_mib=SCHOOL_SQLITE_HEAP_MIB,
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Stored times are UTC; each request shows them in its school's zone and
# language (School/locale/). Commands and logs stay English and UTC.
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The languages a school (and each user) may choose; catalogues in locale/.
LANGUAGES = [("en", "English"), ("fr", "Français"), ("sw", "Kiswahili"), ("pt", "Português")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Swahili has no date formats in Django: ours are in School/locale/formats/sw/.
FORMAT_MODULE_PATH = ["School.locale.formats"]
SCHOOL_DEFAULT_LANGUAGE = os.environ.get("SCHOOL_DEFAULT_LANGUAGE", "en")
SCHOOL_DEFAULT_TIME_ZONE = os.environ.get("SCHOOL_DEFAULT_TIME_ZONE", "UTC")
SCHOOL_DEFAULT_DATE_ORDER = os.environ.get("SCHOOL_DEFAULT_DATE_ORDER", "iso")
# Phones typed without +country code are read in the school's country (its time zone's, School/identity/phones.py);
# a school on a zone of no country (UTC) reads them in this region (two letters, e.g. KE), or refuses them if empty.
PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION", "").upper()
if SCHOOL_DEFAULT_LANGUAGE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"SCHOOL_DEFAULT_LANGUAGE must be one of {', '.join(dict(LANGUAGES))}")
if SCHOOL_DEFAULT_DATE_ORDER not in {"dmy", "mdy", "iso"}:
    raise ImproperlyConfigured("SCHOOL_DEFAULT_DATE_ORDER must be dmy, mdy or iso")

# Absolute: the platform's files, one address for every school, in path mode too
# (a relative STATIC_URL would take each school's /s/<name>/ script prefix).
STATIC_URL = "/static/"
# Production may `collectstatic` into DJANGO_STATIC_ROOT; without it WhiteNoise
# serves straight from the apps (below).
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or None
# Pages work offline and without `collectstatic` on a fresh clone: WhiteNoise
# serves the project's own assets straight from the apps' static folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Each school has its own session table, and cookies stay host-only (no
# SESSION_COOKIE_DOMAIN), so a session cookie from one school names no session
# at another. Django's database sessions, read with a statement compiled once.
SESSION_ENGINE = "School.accounts.sessions"

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

# --- Platform figures, health and metrics (School/platform/) ----------------

# Seconds after a student write before this process recounts the school's
# figures (0: right after the write; negative: never, only refresh-figures).
FIGURES_FOLLOW_DELAY = float(os.environ.get("FIGURES_FOLLOW_DELAY", "5"))
# The official ages of each level (first, last) for the net and gross enrolment ratios (School/indicators/population.py):
# a common pattern (6-year primary from 6, 3-year lower and upper secondary); a country sets its own in INDICATORS_LEVEL_AGES,
# e.g. "primary=6-11,lower-secondary=12-14,upper-secondary=15-17".
INDICATORS_LEVEL_AGES = {
    level: tuple(int(age) for age in ages.split("-"))
    for level, ages in (pair.split("=") for pair in os.environ.get(
        "INDICATORS_LEVEL_AGES", "primary=6-11,lower-secondary=12-14,upper-secondary=15-17").split(","))
}
# Figures not checked for this long are "stale" in `schools health`
# (a nightly `schools refresh-figures --all` keeps them fresh).
FIGURES_MAX_AGE = timedelta(hours=float(os.environ.get("FIGURES_MAX_AGE", "26")))
# A school with no backup newer than this needs attention.
BACKUP_MAX_AGE = timedelta(hours=float(os.environ.get("BACKUP_MAX_AGE", "26")))
# Daily national snapshots are kept this many days (the dashboard's trend).
FIGURES_SNAPSHOT_DAYS = int(os.environ.get("FIGURES_SNAPSHOT_DAYS", "730"))
# "Fastest-growing": students gained since the start of the current window of this many days.
FIGURES_GROWTH_DAYS = int(os.environ.get("FIGURES_GROWTH_DAYS", "30"))
# Seconds a worker reuses the dashboard's national aggregates.
PLATFORM_DASHBOARD_TTL = float(os.environ.get("PLATFORM_DASHBOARD_TTL", "30"))
# /metrics: from these client addresses (the TCP peer), or with `Authorization: Bearer METRICS_TOKEN`.
METRICS_ALLOWED_ADDRESSES = [
    address.strip() for address in os.environ.get("METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1").split(",") if address.strip()
]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- Security (School/security/) -------------------------------------------

# django-axes: lock-outs per school. Its rows go through our router, so they
# land in the database of the school whose login is attacked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Signs no one in: reads a user's permissions in one compiled statement
    # into ModelBackend's per-request cache (School/accounts/permissions.py).
    "School.accounts.permissions.CompiledPermissionsBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
# A list means OR: a user name under attack from anywhere, or an address
# trying many user names, is locked.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "School.security.lockout.locked_out_response"
AXES_CLIENT_IP_CALLABLE = "School.security.lockout.client_ip"
AXES_VERBOSE = False
# Behind Caddy every request comes from 127.0.0.1: the client is the last
# address Caddy appended to X-Forwarded-For (it drops what the client sent).
BEHIND_PROXY = env_flag("DJANGO_BEHIND_PROXY", PRODUCTION)

LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "index"
LOGOUT_REDIRECT_URL = "sign-in"

# Goal: in production only a school's own users see its students.
STUDENT_DATA_REQUIRES_LOGIN = env_flag("STUDENT_DATA_REQUIRES_LOGIN", PRODUCTION)
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "365"))

# --- People and access (School/accounts/) -----------------------------------

# A second factor for everyone who may see student data: on in production.
# Relaxing it there is allowed but never silent (`check --deploy` warns).
SECOND_FACTOR_REQUIRED = env_flag("SECOND_FACTOR_REQUIRED", PRODUCTION)
# Failed codes are counted by django-axes like failed passwords; django-otp's
# own per-device delay would only add a second, uncoordinated lock.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
INVITATION_HOURS = float(os.environ.get("INVITATION_HOURS", "72"))
PASSWORD_RESET_TIMEOUT = int(float(os.environ.get("PASSWORD_RESET_MINUTES", "60")) * 60)
# Reset requests per hour, per address and per client (School/security/limits.py).
PASSWORD_RESET_PER_ADDRESS = int(os.environ.get("PASSWORD_RESET_PER_ADDRESS", "3"))
PASSWORD_RESET_PER_CLIENT = int(os.environ.get("PASSWORD_RESET_PER_CLIENT", "10"))
# Links in messages made outside a request (`invite` on the command line):
# https in production; a port only when the site is not on the scheme's own
# (in development, the port `up` serves on).
LINK_SCHEME = os.environ.get("LINK_SCHEME", "https" if PRODUCTION else "http")
LINK_PORT = os.environ.get("LINK_PORT", "" if PRODUCTION else "8000")

# Mail, once for the platform: EMAIL_URL (smtp://user:pass@host:port,
# smtp+tls://..., smtps://..., console:) or Django's own EMAIL_* variables.
globals().update(email_settings(os.environ, PRODUCTION))
# --- Students' photos and documents (School/documents/) ---------------------
# "" keeps files with the school's data (a directory beside its SQLite file,
# or GridFS in its MongoDB database); "s3": django-storages' S3Storage (its own
# AWS_* settings) under SCHOOL_FILES_S3_PREFIX/<school database>/.
SCHOOL_FILES_STORAGE = os.environ.get("SCHOOL_FILES_STORAGE", "").strip().lower()
SCHOOL_FILES_S3_PREFIX = os.environ.get("SCHOOL_FILES_S3_PREFIX", "schools")
SCHOOL_FILE_MAX_BYTES = int(os.environ.get("SCHOOL_FILE_MAX_BYTES", str(10 * 1024 * 1024)))
# Per school, all its files together; 0: no quota.
SCHOOL_FILES_QUOTA_BYTES = int(os.environ.get("SCHOOL_FILES_QUOTA_BYTES", str(5 * 1024 * 1024 * 1024)))
# Pillow's decompression-bomb guard: images with more pixels are refused.
SCHOOL_IMAGE_MAX_PIXELS = int(os.environ.get("SCHOOL_IMAGE_MAX_PIXELS", str(50_000_000)))

# Headers on every page (the CSP itself: School/security/headers.py).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    # Caddy (deploy/Caddyfile) terminates TLS and says so in X-Forwarded-Proto;
    # gunicorn listens on loopback only, so nobody else can send that header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Monitors may ask gunicorn directly; without credentials it tells only "ok".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is close to irreversible for a domain and all its subdomains,
    # and schools come on their own custom domains: only the operator opts in.
    # Unset, `check --deploy` keeps asking (security.W021); an explicit
    # "false" is a decision too, and silences it.
    _hsts_preload = os.environ.get("DJANGO_HSTS_PRELOAD", "").strip()
    SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD")
    if _hsts_preload and not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Learner numbers and identity digests (School/identity/learner_number.py, docs/identity.md) ------

# The key of the HMAC-SHA256 digests `default` keeps of learner numbers and of records' fingerprints
# (never the numbers or names themselves). Production refuses to start without it, as for
# DJANGO_SECRET_KEY; development and tests use a documented, public key (never for real children).
DEV_LEARNER_DIGEST_KEY = "development-only-learner-digest-key"
LEARNER_DIGEST_KEY = os.environ.get("LEARNER_DIGEST_KEY", "")
if not LEARNER_DIGEST_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs LEARNER_DIGEST_KEY (a long random string, the same on every server; "
            "see docs/identity.md for rotating it)"
        )
    LEARNER_DIGEST_KEY = DEV_LEARNER_DIGEST_KEY
# Numbers imported from an older national system (`schools learner-numbers import`): a regular
# expression the whole number must match, and its check ("luhn32": ours; "none": the pattern alone).
LEARNER_NUMBER_IMPORT_PATTERN = os.environ.get("LEARNER_NUMBER_IMPORT_PATTERN", r"[0-9A-HJKMNP-TV-Z]{10}")
LEARNER_NUMBER_IMPORT_CHECK = os.environ.get("LEARNER_NUMBER_IMPORT_CHECK", "luhn32")
if LEARNER_NUMBER_IMPORT_CHECK not in {"luhn32", "none"}:
    raise ImproperlyConfigured("LEARNER_NUMBER_IMPORT_CHECK must be luhn32 or none")
