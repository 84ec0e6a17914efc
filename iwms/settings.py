"""IWMS settings: every knob is an environment variable with a safe default for the
embedded mode (SQLite + an embedded Celery broker). `.env.example` lists them all."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from iwms import queues
from iwms.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("IWMS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
DATABASE_URL = env_secret("DATABASE_URL", default="")
# Embedded mode (SQLite, filesystem broker, one machine) is the default whenever no external
# database is configured; production always sets DATABASE_URL and so must set SECRET_KEY.
EMBEDDED = env_bool("IWMS_EMBEDDED", not DATABASE_URL)
SECRET_KEY = env_secret("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and not EMBEDDED:
        raise RuntimeError("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off outside the embedded mode.")
    SECRET_KEY = "embedded-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "simple_history",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "iwms",
    "organogram",
    "arc",
    "workflows",
    "incidents",
    "incidents.controls",
    "incidents.triage",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "incidents.governance",
    "incidents.integrations",
    "incidents.api",
    "incidents.response",
    "incidents.problems",
    "incidents.assurance",
]

MIDDLEWARE = [
    "iwms.views.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "iwms.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "iwms.request_context.RequestContextMiddleware",
    "iwms.replica.ReplicaPinMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "iwms.request_context.ActorMiddleware",
    "iwms.request_input.RejectNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "iwms.htmx.VaryOnHtmxMiddleware",
    "iwms.sessions.SessionLimitsMiddleware",
    "arc.two_factor.TwoFactorMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "iwms.refusals.PolicyErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "iwms.urls"
WSGI_APPLICATION = "iwms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's templates, then each incident slice's own (incidents/<slice>/templates).
        "DIRS": [BASE_DIR / "templates", *sorted((BASE_DIR / "incidents").glob("*/templates"))],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# Embedded default: SQLite in WAL mode with a busy timeout and IMMEDIATE transactions, so
# the web server and the Celery worker queue for the write lock instead of failing with
# "database is locked". Production: DATABASE_URL (PostgreSQL through psycopg 3).
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env_str("DATABASE_TEST_NAME", "") or None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("IWMS_SQLITE_PATH", str(VAR_DIR / "iwms.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": env_int("IWMS_SQLITE_TIMEOUT", 20),
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
if not DATABASES["default"]["TEST"].get("NAME"):
    DATABASES["default"]["TEST"].pop("NAME", None)

# A streaming replica for read-only pages (iwms/replica.py): reads of views marked
# @reads_from_replica go there unless the person wrote within IWMS_REPLICA_PIN_SECONDS.
# In tests the replica mirrors the test database (it arrives there by replication).
DATABASE_REPLICA_URL = env_secret("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["iwms.replica.ReplicaRouter"]
IWMS_REPLICA_PIN_SECONDS = env_int("IWMS_REPLICA_PIN_SECONDS", 10)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "iwms.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out accounts and addresses first
    "iwms.backends.TenantModelBackend",  # Django's ModelBackend, reading the organisation with the user
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# guardian: no anonymous user row; anonymous visitors get nothing.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = True

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "Africa/Johannesburg")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# Front-end packages come from the npm registry into node_modules/ (git-ignored).
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/pico", NODE_MODULES / "@picocss" / "pico" / "css"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and not EMBEDDED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Embedded and debug modes serve static files straight from their sources (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG or EMBEDDED
WHITENOISE_AUTOREFRESH = DEBUG or EMBEDDED
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not EMBEDDED)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SECURE_SSL_REDIRECT)
CSRF_FAILURE_VIEW = "iwms.refusals.csrf_failure"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL_REDIRECT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)

# --- Email ----------------------------------------------------------------------------
# Without an SMTP host, e-mails are written as files under var/mail/ (one .log file per
# process run) in the embedded mode — never into the `make run` terminal — and to the console
# elsewhere (a production node without EMAIL_HOST logs what it would have sent).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST", "")
    else "django.core.mail.backends.filebased.EmailBackend"
    if EMBEDDED
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "IWMS <iwms@localhost>")

# --- Celery ---------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport under var/broker, so worker and beat run
# beside the web server with no Redis. Production: CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL", default="") or "filesystem://"
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Queues per kind of work (iwms/queues.py): a worker without -Q consumes them all.
CELERY_TASK_QUEUES = queues.task_queues()
CELERY_TASK_DEFAULT_QUEUE = queues.DEFAULT
CELERY_TASK_ROUTES = queues.ROUTES
# Beat keeps its schedule in the database (django-celery-beat): the periodic tasks below are
# PeriodicTask rows, registered by the migration iwms 0005 and brought up to date from this
# dict each time beat starts (idempotent, by name; an admin's "enabled" switch is kept). Their
# options are the scheduler's model fields: `expire_seconds`, not Celery's `expires`.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "iwms.tasks.record_heartbeat", "schedule": 60.0},
    "response-cadence": {"task": "incidents.response.tasks.sweep_updates", "schedule": 60.0},
}

# --- Sessions, login throttling and two-factor ---------------------------------------------
# Content-Security-Policy of every response: scripts and styles from this origin only, no inline
# script or style, nothing framed. Views may set a stricter one (evidence downloads do).
IWMS_CONTENT_SECURITY_POLICY = env_str(
    "IWMS_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
# A session ends after this long without a request, and at the latest this long after sign-in
# (the login page then says why). The cookie lives no longer than the absolute limit.
IWMS_SESSION_IDLE_MINUTES = env_int("IWMS_SESSION_IDLE_MINUTES", 30)
IWMS_SESSION_MAX_HOURS = env_int("IWMS_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = IWMS_SESSION_MAX_HOURS * 3600
# Login throttling (django-axes): an account is locked out after IWMS_LOGIN_FAILURE_LIMIT failed
# sign-ins within the cool-off, an address after IWMS_LOGIN_ADDRESS_FAILURE_LIMIT across all
# accounts; the lockout lasts the cool-off. Behind reverse proxies set IWMS_PROXY_COUNT to how
# many append to X-Forwarded-For, so the client's address (not the proxy's) is counted.
IWMS_LOGIN_FAILURE_LIMIT = env_int("IWMS_LOGIN_FAILURE_LIMIT", 5)
IWMS_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("IWMS_LOGIN_ADDRESS_FAILURE_LIMIT", 20)
IWMS_LOGIN_COOLOFF_MINUTES = env_int("IWMS_LOGIN_COOLOFF_MINUTES", 15)
IWMS_PROXY_COUNT = env_int("IWMS_PROXY_COUNT", 0)
AXES_FAILURE_LIMIT = IWMS_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = "iwms.login.cool_off"
AXES_LOCKOUT_PARAMETERS = "iwms.login.lockout_parameters"
AXES_LOCKOUT_CALLABLE = "iwms.login.lockout_response"
AXES_CLIENT_IP_CALLABLE = "iwms.login.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the tenant's audit ledger
AXES_VERBOSE = False  # no start-up banner on stderr (commands' stderr is machine-read)
# Two-factor sign-in (TOTP + recovery codes): compulsory for tenant admins, supervisors and above,
# auditors, regulators, external providers and platform admins. On by default in production;
# off by default in the embedded/demo mode, so the demo logins work with a password alone.
IWMS_REQUIRE_2FA = env_bool("IWMS_REQUIRE_2FA", not EMBEDDED)
OTP_TOTP_ISSUER = env_str("IWMS_TOTP_ISSUER", "IWMS")  # the account's name in authenticator apps
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows secrets or recovery codes

# --- IWMS -----------------------------------------------------------------------------
IWMS_DEMO_PASSWORD = env_str("IWMS_DEMO_PASSWORD", "iwms-demo-2026")
# A worker that has not written a heartbeat for this long is reported stale by /healthz.
IWMS_HEARTBEAT_STALE_SECONDS = env_int("IWMS_HEARTBEAT_STALE_SECONDS", 180)
# While this file exists, /healthz answers 503 "draining" and load balancers take the node out.
IWMS_DRAIN_FILE = env_str("IWMS_DRAIN_FILE", "")

# --- The ledger's protection (see README "What the audit ledger guarantees") ----------------
# PostgreSQL roles: the application connects (DATABASE_URL) as IWMS_DB_APP_ROLE, which owns
# nothing and may not lift the append-only rule; only members of IWMS_DB_MAINTENANCE_ROLE may.
# Migrations and `setup_database_roles` connect with DATABASE_OWNER_URL's credentials when set.
IWMS_DB_APP_ROLE = env_str("IWMS_DB_APP_ROLE", "iwms_app")
IWMS_DB_MAINTENANCE_ROLE = env_str("IWMS_DB_MAINTENANCE_ROLE", "iwms_maintenance")
DATABASE_OWNER_URL = env_secret("DATABASE_OWNER_URL", default="")
# Signed checkpoints of every tenant's chain, kept outside the database: the HMAC key (never in
# the database; IWMS_LEDGER_KEY or IWMS_LEDGER_KEY_FILE; the embedded mode generates one at
# IWMS_LEDGER_KEY_GENERATED_PATH on first use), the append-only store and how often beat writes.
IWMS_LEDGER_KEY = env_secret("IWMS_LEDGER_KEY", default="")
IWMS_LEDGER_KEY_GENERATED_PATH = Path(env_str("IWMS_LEDGER_KEY_GENERATED_PATH", "") or VAR_DIR / "ledger.key")
IWMS_LEDGER_CHECKPOINT_DIR = Path(env_str("IWMS_LEDGER_CHECKPOINT_DIR", "") or VAR_DIR / "ledger-checkpoints")
IWMS_LEDGER_CHECKPOINT_INTERVAL_SECONDS = env_int("IWMS_LEDGER_CHECKPOINT_INTERVAL_SECONDS", 300)
CELERY_BEAT_SCHEDULE["ledger-checkpoint"] = {
    "task": "iwms.tasks.checkpoint_ledger",
    "schedule": float(IWMS_LEDGER_CHECKPOINT_INTERVAL_SECONDS),
    "options": {"expire_seconds": max(1, int(IWMS_LEDGER_CHECKPOINT_INTERVAL_SECONDS * 0.9))},
}

# Evidence files: stored content-addressed (by SHA-256) under this folder, never served directly.
IWMS_EVIDENCE_ROOT = Path(env_str("IWMS_EVIDENCE_ROOT", str(MEDIA_ROOT / "evidence")))
IWMS_EVIDENCE_MAX_BYTES = env_int("IWMS_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
# Optional OpenAI-compatible chat endpoint that may add findings to the automated review
# (base URL such as http://llm.internal:8080/v1); unset: the deterministic rules alone.
IWMS_REVIEW_LLM_URL = env_str("IWMS_REVIEW_LLM_URL", "")
IWMS_REVIEW_LLM_MODEL = env_str("IWMS_REVIEW_LLM_MODEL", "")
IWMS_REVIEW_LLM_KEY = env_secret("IWMS_REVIEW_LLM_KEY", default="")
IWMS_REVIEW_LLM_TIMEOUT = env_int("IWMS_REVIEW_LLM_TIMEOUT", 20)

# --- SLA clocks, the sweep and notifications ------------------------------------------
# A breach-risk warning fires at this share of the time from a clock's start to its deadline.
IWMS_SLA_WARNING_SHARE = float(env_str("IWMS_SLA_WARNING_SHARE", "0.75"))
if not 0 < IWMS_SLA_WARNING_SHARE < 1:
    raise ValueError(f"IWMS_SLA_WARNING_SHARE must be between 0 and 1, got {IWMS_SLA_WARNING_SHARE}")
# Beat sends the sweep this often; one run handles due incidents in batches of this size, each
# batch one transaction. A run that waited longer than the interval in the queue is dropped:
# the next one does the same work.
IWMS_SWEEP_INTERVAL_SECONDS = env_int("IWMS_SWEEP_INTERVAL_SECONDS", 60)
IWMS_SWEEP_BATCH_SIZE = env_int("IWMS_SWEEP_BATCH_SIZE", 500)
# Tests only: hold each sweep batch open this long, so a test can kill a worker mid-batch.
IWMS_SWEEP_TEST_DELAY_MS = env_int("IWMS_SWEEP_TEST_DELAY_MS", 0)
CELERY_BEAT_SCHEDULE["sla-sweep"] = {
    "task": "incidents.tasks.sweep_sla_clocks",
    "schedule": float(IWMS_SWEEP_INTERVAL_SECONDS),
    "options": {"expire_seconds": max(1, int(IWMS_SWEEP_INTERVAL_SECONDS * 0.9))},
}
# Cross-tenant lookups: a user whose lookups of another tenant's rows reach this many within the
# window (minutes) raises an alert to the tenant admins of both tenants, once per window. 0 turns
# the alert off; every attempt is still refused and recorded.
IWMS_CROSS_TENANT_ALERT_THRESHOLD = env_int("IWMS_CROSS_TENANT_ALERT_THRESHOLD", 5)
IWMS_CROSS_TENANT_ALERT_WINDOW_MINUTES = env_int("IWMS_CROSS_TENANT_ALERT_WINDOW_MINUTES", 60)
# People who read digests get at most one e-mail per hour or day; beat looks for due digests
# this often.
IWMS_DIGEST_INTERVAL_SECONDS = env_int("IWMS_DIGEST_INTERVAL_SECONDS", 300)
CELERY_BEAT_SCHEDULE["notification-digests"] = {
    "task": "iwms.tasks.send_notification_digests",
    "schedule": float(IWMS_DIGEST_INTERVAL_SECONDS),
    "options": {"expire_seconds": max(1, int(IWMS_DIGEST_INTERVAL_SECONDS * 0.9))},
}
# Organogram governance (governance app): beat asks this often whether a tenant's monthly
# verification is due (first working day of the month) and whether its nightly structural
# check has run today; each is idempotent, so the interval only bounds how late they start.
IWMS_GOVERNANCE_INTERVAL_SECONDS = env_int("IWMS_GOVERNANCE_INTERVAL_SECONDS", 3600)
CELERY_BEAT_SCHEDULE["organogram-governance"] = {
    "task": "incidents.governance.tasks.run_organogram_governance",
    "schedule": float(IWMS_GOVERNANCE_INTERVAL_SECONDS),
    "options": {"expire_seconds": max(1, int(IWMS_GOVERNANCE_INTERVAL_SECONDS * 0.9))},
}
# The KPI rollups fold new ledger events in this often (assurance dashboards lag by at most this).
IWMS_KPI_ROLLUP_INTERVAL_SECONDS = env_int("IWMS_KPI_ROLLUP_INTERVAL_SECONDS", 60)
CELERY_BEAT_SCHEDULE["kpi-rollups"] = {
    "task": "incidents.assurance.tasks.refresh_kpi_rollups",
    "schedule": float(IWMS_KPI_ROLLUP_INTERVAL_SECONDS),
    "options": {"expire_seconds": max(1, int(IWMS_KPI_ROLLUP_INTERVAL_SECONDS * 0.9))},
}
# Links in notification e-mails start with this address.
IWMS_BASE_URL = env_str("IWMS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- JSON API (/api/v1/) -------------------------------------------------------------------
# Integration accounts authenticate with their API tokens (arc.tokens); errors keep the one
# refusal shape ({"error": {code, kind, message, context}}).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["incidents.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["incidents.api.permissions.TokenScopePermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "incidents.api.pagination.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "incidents.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IWMS API",
    "DESCRIPTION": "Automated intake from detection sources and reads for integrators (docs/api.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set where fields of the same name carry different sets.
    "ENUM_NAME_OVERRIDES": {
        "IncidentKindEnum": "incidents.choices.IncidentKind",
        "IncidentSeverityEnum": "incidents.choices.Severity",
        "IncidentStatusEnum": "incidents.choices.IncidentStatus",
        "StepStatusEnum": "workflows.choices.StepStatus",
        "HrEventKindEnum": "incidents.governance.choices.HrEventKind",
        "EventSeverityEnum": "incidents.api.serializers.EVENT_SEVERITIES",
    },
}
# Requests per token per minute (PagerDuty's Events API allows 120); beyond: 429 + Retry-After.
IWMS_API_RATE_PER_MINUTE = env_int("IWMS_API_RATE_PER_MINUTE", 120)
# Largest event body accepted, in bytes (the event is kept as received).
IWMS_API_EVENT_MAX_BYTES = env_int("IWMS_API_EVENT_MAX_BYTES", 16_384)
# Outbound webhooks: attempts per delivery, first retry delay (doubling), and failed
# deliveries in a row after which an endpoint is disabled and its tenant admins told.
IWMS_WEBHOOK_MAX_ATTEMPTS = env_int("IWMS_WEBHOOK_MAX_ATTEMPTS", 6)
IWMS_WEBHOOK_RETRY_SECONDS = env_int("IWMS_WEBHOOK_RETRY_SECONDS", 30)
IWMS_WEBHOOK_MAX_FAILURES = env_int("IWMS_WEBHOOK_MAX_FAILURES", 5)
IWMS_WEBHOOK_TIMEOUT_SECONDS = env_int("IWMS_WEBHOOK_TIMEOUT_SECONDS", 5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

os.makedirs(VAR_DIR, exist_ok=True)
