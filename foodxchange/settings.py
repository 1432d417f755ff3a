"""Settings for FoodXchange. Everything that differs between local, test and
production comes from the environment (see the README's configuration table)."""

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_INSECURE_KEY = "django-insecure-local-development-only"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_KEY)
if not DEBUG and (SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "DEBUG is off: set SECRET_KEY to a random value of at least 32 characters "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
# Origins (host patterns as in ALLOWED_HOSTS, "*" for any, which also admits clients
# that send no Origin header, e.g. mobile apps) allowed to open WebSockets.
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=ALLOWED_HOSTS)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "foodxchange.api.errors.csrf_failure"
# Public base URL of this API (used to build links and to validate Twilio signatures
# behind a proxy) and of the SPA (used for links in emails).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:3000").rstrip("/")
APP_VERSION = env.str("APP_VERSION", default="0.1.0")
# Browsers may call the API from these origins (the SPA); JWTs travel in the
# Authorization header, so no cookies are shared.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[FRONTEND_URL])
CORS_URLS_REGEX = r"^/(api|health|ready)"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "django_prometheus",
    "django_guid",
    "channels",
    "pgtrigger",
    "accounts",
    "foodxchange",
    "experts",
    "matching",
    "leads",
    "commissions",
    "consultations",
    "engagements",
    "workspaces",
    "compliance",
    "assistant",
    "intelligence",
    "realtime",
    "backups",
    "backoffice",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "foodxchange.middleware.EdgeMiddleware",
    "django_guid.middleware.guid_middleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "foodxchange.middleware.MaintenanceModeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "foodxchange.urls"
WSGI_APPLICATION = "foodxchange.wsgi.application"
ASGI_APPLICATION = "foodxchange.asgi.application"
# The WebSocket side of the ASGI app (the HTTP side is ROOT_URLCONF).
WEBSOCKET_URLPATTERNS = "realtime.routing.websocket_urlpatterns"
WEBSOCKET_AUTH_MIDDLEWARE = "realtime.auth.JWTAuthMiddleware"

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
            ],
        },
    },
]

# --- Database: SQLite embedded default, PostgreSQL with DATABASE_URL -------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
# A connection pool per process (PostgreSQL, psycopg_pool): a request borrows a
# connection instead of forking a new server backend, and a process never holds more
# than DB_POOL_MAX_SIZE, so web x workers x pool size stays under max_connections
# however many replicas run. 0 = no pool (a connection per request, or CONN_MAX_AGE).
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    if DATABASES["default"]["CONN_MAX_AGE"]:
        raise ImproperlyConfigured("DB_POOL_MAX_SIZE needs DB_CONN_MAX_AGE=0 (the pool keeps the connections).")
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env.int("DB_POOL_MIN_SIZE", default=1), DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        # A request waits this long for a free connection, then fails (503 from /ready).
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
DATABASES["default"].setdefault("TEST", {})
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"]["NAME"] = env.str("TEST_DATABASE_NAME")
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent requests on the embedded default: wait for the write lock instead of
    # failing with "database is locked", and take it when a transaction starts.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A server process imports its routes at start and freezes those objects out of the
# garbage collector's full passes (foodxchange/startup.py): shorter pauses under load.
GC_FREEZE_AT_STARTUP = env.bool("GC_FREEZE_AT_STARTUP", default=True)

# --- Redis: channel layer, cache and Celery broker when REDIS_URL is set --------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="fx"),
        }
    }
    # "pubsub" (default): Redis PUBLISH/SUBSCRIBE, one round trip per send and pushed to
    # the subscribed process, no per-message polling; at-most-once, which suits pushes
    # whose truth is stored elsewhere (the inbox, the presence registry). "core": the
    # list-based layer (capacity, expiry, per-message BZPOPMIN), measured slower
    # (docs/performance.md).
    CHANNEL_LAYER_BACKEND = env.str("CHANNEL_LAYER_BACKEND", default="pubsub")
    if CHANNEL_LAYER_BACKEND == "pubsub":
        CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("CHANNEL_LAYER_PREFIX", default="fx")},
            }
        }
    elif CHANNEL_LAYER_BACKEND == "core":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [REDIS_URL],
                    "prefix": env.str("CHANNEL_LAYER_PREFIX", default="fx"),
                    "capacity": 1000,
                    "expiry": 60,
                },
            }
        }
    else:
        raise ImproperlyConfigured("CHANNEL_LAYER_BACKEND must be 'pubsub' or 'core'.")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "foodxchange.beat:CodeSyncedScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Periodic jobs; apps add their entries here (see foodxchange/celery.py).
CELERY_BEAT_SCHEDULE: dict = {}

# --- Auth ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    # Plain Argon2, computed on low-priority threads (accounts/hashers.py).
    "accounts.hashers.LowPriorityArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
LOGIN_LOCKOUT_ATTEMPTS = env.int("LOGIN_LOCKOUT_ATTEMPTS", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# Lockout rows are kept per email anyone tries: one address may add this many per
# window, and beat purges rows untouched for the retention period.
LOGIN_THROTTLE_MAX_NEW_PER_IP = env.int("LOGIN_THROTTLE_MAX_NEW_PER_IP", default=50)
LOGIN_THROTTLE_IP_WINDOW_MINUTES = env.float("LOGIN_THROTTLE_IP_WINDOW_MINUTES", default=60.0)
LOGIN_THROTTLE_RETENTION_HOURS = env.float("LOGIN_THROTTLE_RETENTION_HOURS", default=24.0)
# Password hashes (Argon2, ~0.25 CPU s each) running at once per server process, and how
# long a login/registration waits for one before 429 auth_busy (accounts/hashing.py).
PASSWORD_HASH_CONCURRENCY = env.int("PASSWORD_HASH_CONCURRENCY", default=1)
PASSWORD_HASH_WAIT_SECONDS = env.float("PASSWORD_HASH_WAIT_SECONDS", default=3.0)
# Nice value of the hashing threads (0-19; 0 keeps the server's priority): a hash takes
# the CPU only when other requests do not need it. 19, because one hash runs on 8
# native threads: at 10 together they still weigh almost as much as a request thread.
PASSWORD_HASH_NICE = env.int("PASSWORD_HASH_NICE", default=19)
TWO_FACTOR_CHALLENGE_SECONDS = env.int("TWO_FACTOR_CHALLENGE_SECONDS", default=300)
OTP_TOTP_ISSUER = "FoodXchange"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- DRF -------------------------------------------------------------------------------
DEFAULT_THROTTLE_RATES = {
    "auth": "20/min",
    "search": "600/min",
    "write": "300/min",
    "upload": "30/min",
    "webhook": "1200/min",
    "assistant": "30/min",
}


def _parse_rates(raw: str) -> dict[str, str]:
    rates = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        scope, _, rate = part.partition("=")
        if not rate:
            raise ImproperlyConfigured(f"THROTTLE_RATES entry {part!r} must look like scope=N/period")
        rates[scope.strip()] = rate.strip()
    return rates


# Proxies in front of the app that append to X-Forwarded-For (a load balancer: 1). With 0
# the header is ignored and the socket peer is the client (foodxchange.edge.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")

REST_FRAMEWORK = {
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["foodxchange.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "foodxchange.api.parsers.JSONParser",
        "foodxchange.api.parsers.MultiPartParser",
        "foodxchange.api.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "foodxchange.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["foodxchange.api.throttles.ScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        **DEFAULT_THROTTLE_RATES,
        **_parse_rates(env.str("THROTTLE_RATES", default="")),
    },
    "EXCEPTION_HANDLER": "foodxchange.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "FoodXchange Expert Marketplace API",
    "DESCRIPTION": (
        "Versioned API for buyers, experts, agents and staff. Authenticate with "
        "`Authorization: Bearer <access>` from `/api/v1/auth/login`. Errors always have "
        'the shape `{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models have a "status" field: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "CommissionStatusEnum": "commissions.models.Commission.Status",
        "CommissionKindEnum": "commissions.models.Commission.Kind",
        "LeadStatusEnum": "leads.models.Lead.Status",
        "VerificationRequestStatusEnum": "experts.models.VerificationRequest.Status",
        "VerificationStatusEnum": "experts.models.ExpertProfile.Verification",
        "PresenceStatusEnum": "realtime.presence.CHOOSABLE_STATUSES",
        "PresentStatusEnum": "realtime.selectors.PRESENT_STATUSES",
    },
}

# --- I18N / time -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static, media, storage ------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# S3-compatible storage when AWS_STORAGE_BUCKET_NAME is set, local filesystem otherwise.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default=None)
    AWS_DEFAULT_ACL = None
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES: dict[str, dict[str, Any]] = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}

# --- Email -----------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FoodXchange <no-reply@foodxchange.local>")

# --- External services behind backend settings ---------------------------------------
# "console" logs what would be sent; "recording" keeps it in memory for tests;
# "stripe"/"twilio"/"openai" use the real SDK.
PAYMENTS_BACKEND = env.str("PAYMENTS_BACKEND", default="console")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
WHATSAPP_BACKEND = env.str("WHATSAPP_BACKEND", default="console")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_WHATSAPP_FROM = env.str("TWILIO_WHATSAPP_FROM", default="")
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="")

# --- Backups ---------------------------------------------------------------------------
BACKUP_ENCRYPTION_KEY = env.str("BACKUP_ENCRYPTION_KEY", default="")
BACKUP_STORAGE_LOCATION = env.str("BACKUP_STORAGE_LOCATION", default=str(BASE_DIR / "var" / "backups"))

# --- Compliance ledger ---------------------------------------------------------------
# Base64 of a 32-byte Ed25519 seed: signs every ledger entry. Like SECRET_KEY it lives in
# the environment, never in the database; with DEBUG on a development key is derived
# from SECRET_KEY (entries signed with it prove nothing to an outsider).
COMPLIANCE_SIGNING_KEY = env.str("COMPLIANCE_SIGNING_KEY", default="")
if COMPLIANCE_SIGNING_KEY:
    try:
        _seed = base64.b64decode(COMPLIANCE_SIGNING_KEY, validate=True)
    except ValueError:
        _seed = b""
    if len(_seed) != 32:
        raise ImproperlyConfigured("COMPLIANCE_SIGNING_KEY must be the base64 of exactly 32 bytes (an Ed25519 seed).")
elif not DEBUG:
    raise ImproperlyConfigured(
        "DEBUG is off: set COMPLIANCE_SIGNING_KEY to the base64 of a random 32-byte Ed25519 seed "
        "(e.g. python -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')."
    )
# Days before a client's vault certificate expires (or its next audit) when a reminder goes out.
VAULT_REMINDER_DAYS = env.list("VAULT_REMINDER_DAYS", cast=int, default=[90, 60, 30])
# Days before an expert credential expires when its owner is reminded (each once).
CREDENTIAL_REMINDER_DAYS = env.list("CREDENTIAL_REMINDER_DAYS", cast=int, default=[90, 30, 7])

# --- Logging ---------------------------------------------------------------------------
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": False,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "UUID_LENGTH": 32,
}
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation_id": {"()": "django_guid.log_filters.CorrelationId"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "correlation_id": "request_id"},
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["correlation_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django_guid": {"level": "WARNING"},
    },
}

# --- Security in production ------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- realtime ---
# Presence: a socket counts while it sent a heartbeat within PRESENCE_TIMEOUT_SECONDS;
# clients are told to send one every PRESENCE_HEARTBEAT_SECONDS. The connection
# registry lives in Redis when REDIS_URL is set, in process memory otherwise.
PRESENCE_STORE = env.str("PRESENCE_STORE", default="redis" if REDIS_URL else "memory")
PRESENCE_KEY_PREFIX = env.str("PRESENCE_KEY_PREFIX", default="fx:presence")
PRESENCE_TIMEOUT_SECONDS = env.int("PRESENCE_TIMEOUT_SECONDS", default=60)
PRESENCE_HEARTBEAT_SECONDS = env.int("PRESENCE_HEARTBEAT_SECONDS", default=20)
PRESENCE_STATUS_TTL_SECONDS = env.int("PRESENCE_STATUS_TTL_SECONDS", default=12 * 3600)
# Dotted path of the WhatsApp sender used for notification fan-out (see realtime/delivery.py).
NOTIFICATION_WHATSAPP_SENDER = env.str(
    "NOTIFICATION_WHATSAPP_SENDER", default="realtime.delivery.RegisteredWhatsAppSender"
)
NOTIFICATION_DELIVERY_MAX_RETRIES = env.int("NOTIFICATION_DELIVERY_MAX_RETRIES", default=5)
# A delivery claimed for sending and not recorded within this time (a crashed worker)
# may be claimed again; keep it above the SMTP/Twilio timeouts.
NOTIFICATION_DELIVERY_LEASE_SECONDS = env.float("NOTIFICATION_DELIVERY_LEASE_SECONDS", default=300.0)
# redis-py pools refuse (rather than queue) requests past their size, 100 by default; a
# wave of sockets joining groups at once needs more. Redis allows 10,000 clients.
CHANNEL_LAYER_MAX_CONNECTIONS = env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=1000)
# redis-py's default 5 s read timeout equals channels-redis's 5 s blocking pop: an idle
# consumer's receive would time out and crash its socket. Keep it well above 5 s.
CHANNEL_LAYER_SOCKET_TIMEOUT = env.int("CHANNEL_LAYER_SOCKET_TIMEOUT", default=30)
if REDIS_URL:
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {
            "address": REDIS_URL,
            "max_connections": CHANNEL_LAYER_MAX_CONNECTIONS,
            "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT,
        }
    ]

# --- backups ---
# Archives go to their own named storage: a private local folder by default, an
# S3-compatible bucket with BACKUP_STORAGE_BACKEND=s3.
BACKUP_STORAGE_BACKEND = env.str("BACKUP_STORAGE_BACKEND", default="filesystem")
if BACKUP_STORAGE_BACKEND == "s3":
    STORAGES["backups"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("BACKUP_S3_BUCKET", default=AWS_STORAGE_BUCKET_NAME),
            "location": env.str("BACKUP_S3_PREFIX", default="backups"),
            "endpoint_url": env.str("BACKUP_S3_ENDPOINT_URL", default="") or None,
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
else:
    STORAGES["backups"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": BACKUP_STORAGE_LOCATION,
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
BACKUP_KEY_ID = env.str("BACKUP_KEY_ID", default="")
BACKUP_PREVIOUS_KEYS = env.list("BACKUP_PREVIOUS_KEYS", default=[])
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=7)
BACKUP_KEEP_WEEKLY = env.int("BACKUP_KEEP_WEEKLY", default=4)
BACKUP_KEEP_MONTHLY = env.int("BACKUP_KEEP_MONTHLY", default=12)
BACKUP_SCHEDULE_HOURLY = env.bool("BACKUP_SCHEDULE_HOURLY", default=False)
BACKUP_DAILY_HOUR_UTC = env.int("BACKUP_DAILY_HOUR_UTC", default=2)
BACKUP_TEMP_DIR = env.str("BACKUP_TEMP_DIR", default="")
BACKUP_PG_BIN_DIR = env.str("BACKUP_PG_BIN_DIR", default="")
BACKUP_LOCK_TIMEOUT_SECONDS = env.int("BACKUP_LOCK_TIMEOUT_SECONDS", default=60)
BACKUP_STALE_AFTER_HOURS = env.int("BACKUP_STALE_AFTER_HOURS", default=6)
# GET /backup/verify/:id answers a verdict younger than this instead of queueing a new run.
BACKUP_VERIFY_REUSE_MINUTES = env.float("BACKUP_VERIFY_REUSE_MINUTES", default=60)
# Restores and disaster recovery run on their own Celery queue (a worker of their own),
# so they never wait behind verifications or other work.
BACKUP_RESTORE_QUEUE = env.str("BACKUP_RESTORE_QUEUE", default="restore")

# --- money ---
# The currency tiers, analytics and cross-currency comparisons are expressed in; the FX
# table itself is data (foodxchange.FxRate rows, edited by staff in the admin).
BASE_CURRENCY = env.str("BASE_CURRENCY", default=env.str("COMMISSION_BASE_CURRENCY", default="USD"))

# --- commissions ---
# Tier thresholds are in BASE_CURRENCY. A deal in another currency counts toward tier
# volume and earnings at the FxRate valid when it closed, frozen on the deal.
COMMISSION_TIER_WINDOW_DAYS = env.int("COMMISSION_TIER_WINDOW_DAYS", default=90)

# --- leads ---
# Nurturing: at most this many follow-ups per agent per UTC day, none during the lead's
# local quiet hours (START..END, 24 h clock; equal values disable quiet hours).
LEADS_NURTURE_DAILY_CAP = env.int("LEADS_NURTURE_DAILY_CAP", default=50)
LEADS_QUIET_HOURS_START = env.int("LEADS_QUIET_HOURS_START", default=21)
LEADS_QUIET_HOURS_END = env.int("LEADS_QUIET_HOURS_END", default=8)
LEADS_IMPORT_MAX_ROWS = env.int("LEADS_IMPORT_MAX_ROWS", default=10_000)
LEADS_IMPORT_MAX_BYTES = env.int("LEADS_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
# A WhatsApp send from the API without an Idempotency-Key: the same message to the same
# lead again within this many seconds (a double click) is the first one, sent once.
WHATSAPP_DEDUP_SECONDS = env.float("WHATSAPP_DEDUP_SECONDS", default=60.0)

# --- experts ---
# Expert search with available_from/available_to computes exact free slots for up to
# this many candidates; above it, a weekday pre-filter answers (keeps broad queries fast).
EXPERTS_AVAILABILITY_EXACT_LIMIT = env.int("EXPERTS_AVAILABILITY_EXACT_LIMIT", default=2000)
# Search logs, impressions and clicks older than this are purged by a daily job.
EXPERTS_SEARCH_LOG_RETENTION_DAYS = env.int("EXPERTS_SEARCH_LOG_RETENTION_DAYS", default=400)
# Text searches rank at most this many matches (the first ones in the requested sort
# order, best rated first for relevance): bounded work per query at any catalogue size.
EXPERTS_SEARCH_WINDOW = env.int("EXPERTS_SEARCH_WINDOW", default=300)
# Search logs and impressions leave the request path: "redis" queues each search in a
# Redis list that a task writes in multi-row inserts (every SEARCH_LOG_FLUSH_SECONDS by
# beat, and as soon as SEARCH_LOG_FLUSH_BATCH are waiting); "direct" writes them in the
# request (the default without Redis, so nothing waits in process memory).
SEARCH_LOG_BUFFER = env.str("SEARCH_LOG_BUFFER", default="redis" if REDIS_URL else "direct")
if SEARCH_LOG_BUFFER not in ("redis", "direct") or (SEARCH_LOG_BUFFER == "redis" and not REDIS_URL):
    raise ImproperlyConfigured("SEARCH_LOG_BUFFER is 'redis' (needs REDIS_URL) or 'direct'.")
# Result pages of expert searches (ranked window, counts, rows) cached until an expert,
# the taxonomy or the FX table changes; off: every search runs its queries.
SEARCH_RESULT_CACHE = env.bool("SEARCH_RESULT_CACHE", default=True)
SEARCH_LOG_BUFFER_KEY = env.str("SEARCH_LOG_BUFFER_KEY", default="fx:search-log")
SEARCH_LOG_FLUSH_BATCH = env.int("SEARCH_LOG_FLUSH_BATCH", default=200)
SEARCH_LOG_FLUSH_SECONDS = env.float("SEARCH_LOG_FLUSH_SECONDS", default=5.0)

# --- matching ---
# The re-rank looks at most at this many candidates from each retrieval source (text,
# taxonomy); reviews count toward an expert's rating as if MATCHING_RATING_PRIOR_WEIGHT
# reviews at the marketplace mean came first; without ``needed_by`` availability looks
# MATCHING_AVAILABILITY_DAYS ahead.
MATCHING_CANDIDATES = env.int("MATCHING_CANDIDATES", default=200)
MATCHING_RATING_PRIOR_WEIGHT = env.float("MATCHING_RATING_PRIOR_WEIGHT", default=5.0)
MATCHING_AVAILABILITY_DAYS = env.int("MATCHING_AVAILABILITY_DAYS", default=14)
# Optional semantic re-rank (docs/matching.md): "local" runs all-MiniLM-L6-v2 on the CPU
# (pip install -r requirements/embeddings.txt), "openai" calls the embeddings API
# (OPENAI_API_KEY / OPENAI_BASE_URL); MATCHING_EMBEDDINGS_BLEND is the share of the
# text criterion given to meaning. Off by default: see the evaluation in the docs.
MATCHING_EMBEDDINGS = env.str("MATCHING_EMBEDDINGS", default="off")
if MATCHING_EMBEDDINGS not in ("off", "local", "openai"):
    raise ImproperlyConfigured("MATCHING_EMBEDDINGS must be 'off', 'local' or 'openai'.")
MATCHING_EMBEDDINGS_BLEND = env.float("MATCHING_EMBEDDINGS_BLEND", default=0.5)
MATCHING_EMBEDDINGS_OPENAI_MODEL = env.str("MATCHING_EMBEDDINGS_OPENAI_MODEL", default="text-embedding-3-small")
MATCHING_EMBEDDINGS_TIMEOUT_SECONDS = env.float("MATCHING_EMBEDDINGS_TIMEOUT_SECONDS", default=2.0)
# RFQs: the best RFQ_NOTIFY_TOP matches are invited. The core signs RFQs with
# RFQ_WEBHOOK_SECRET (refused when older than RFQ_SIGNATURE_TOLERANCE_SECONDS); status
# changes go back to RFQ_CALLBACK_URL signed with RFQ_CALLBACK_SECRET (default: the same
# secret), retried with exponential backoff from RFQ_CALLBACK_BACKOFF_SECONDS up to
# RFQ_CALLBACK_MAX_ATTEMPTS times.
RFQ_NOTIFY_TOP = env.int("RFQ_NOTIFY_TOP", default=5)
RFQ_WEBHOOK_SECRET = env.str("RFQ_WEBHOOK_SECRET", default="")
RFQ_SIGNATURE_TOLERANCE_SECONDS = env.float("RFQ_SIGNATURE_TOLERANCE_SECONDS", default=300)
RFQ_CALLBACK_URL = env.str("RFQ_CALLBACK_URL", default="")
RFQ_CALLBACK_SECRET = env.str("RFQ_CALLBACK_SECRET", default="") or RFQ_WEBHOOK_SECRET
RFQ_CALLBACK_TIMEOUT_SECONDS = env.float("RFQ_CALLBACK_TIMEOUT_SECONDS", default=10)
RFQ_CALLBACK_MAX_ATTEMPTS = env.int("RFQ_CALLBACK_MAX_ATTEMPTS", default=8)
RFQ_CALLBACK_BACKOFF_SECONDS = env.float("RFQ_CALLBACK_BACKOFF_SECONDS", default=30)

# --- assistant ---
# The model composes answers from retrieved passages when ASSISTANT_COMPOSER is
# "openai" (the default once OPENAI_API_KEY is set); "local" quotes the passages.
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
OPENAI_TIMEOUT_SECONDS = env.float("OPENAI_TIMEOUT_SECONDS", default=15.0)
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=1)
ASSISTANT_COMPOSER = env.str("ASSISTANT_COMPOSER", default="openai" if OPENAI_API_KEY else "local")
if ASSISTANT_COMPOSER not in ("openai", "local"):
    raise ImproperlyConfigured("ASSISTANT_COMPOSER must be 'openai' or 'local'.")

# --- workspaces ---
# Attachments: at most WORKSPACE_ATTACHMENT_MAX_BYTES each (checked by content), at most
# WORKSPACE_ATTACHMENTS_PER_MESSAGE per message. Phone numbers written in national format
# are recognised for the WORKSPACE_CONTACT_PHONE_REGIONS (international ones always).
WORKSPACE_ATTACHMENT_MAX_BYTES = env.int("WORKSPACE_ATTACHMENT_MAX_BYTES", default=25 * 1024 * 1024)
WORKSPACE_ATTACHMENTS_PER_MESSAGE = env.int("WORKSPACE_ATTACHMENTS_PER_MESSAGE", default=10)
WORKSPACE_MESSAGE_MAX_CHARS = env.int("WORKSPACE_MESSAGE_MAX_CHARS", default=10_000)
WORKSPACE_CONTACT_PHONE_REGIONS = env.list("WORKSPACE_CONTACT_PHONE_REGIONS", default=["US", "GB", "DE", "FR", "IN"])

# --- intelligence ---
# Analytics reports are cached this long (seconds; decimals allowed); a new FX rate
# drops them at once.
INTELLIGENCE_CACHE_SECONDS = env.float("INTELLIGENCE_CACHE_SECONDS", default=300.0)

# --- consultations ---
# Every window takes decimals (CONSULTATION_HOLD_MINUTES=0.2) so a short-lived server can
# run the lifecycle for real.
CONSULTATION_MIN_NOTICE_HOURS = env.float("CONSULTATION_MIN_NOTICE_HOURS", default=12.0)
CONSULTATION_MAX_DAYS_AHEAD = env.float("CONSULTATION_MAX_DAYS_AHEAD", default=85.0)
CONSULTATION_HOLD_MINUTES = env.float("CONSULTATION_HOLD_MINUTES", default=15.0)
CONSULTATION_REVIEW_WINDOW_HOURS = env.float("CONSULTATION_REVIEW_WINDOW_HOURS", default=72.0)
CONSULTATION_PLATFORM_FEE_PERCENT = env.str("CONSULTATION_PLATFORM_FEE_PERCENT", default="15")
CONSULTATION_MAX_RESCHEDULES = env.int("CONSULTATION_MAX_RESCHEDULES", default=2)
EXPERT_RESPONSE_HOURS = env.float("EXPERT_RESPONSE_HOURS", default=24.0)
# Reminders before the start, in hours (each sent once per consultation).
CONSULTATION_REMINDER_HOURS = [float(h) for h in env.list("CONSULTATION_REMINDER_HOURS", default=["24", "1"])]
# The cancellation policy frozen on each new booking: a client cancelling at least
# FULL_REFUND_HOURS before the start gets everything back, later LATE_REFUND_PERCENT,
# after the start nothing; an expert cancelling always refunds in full.
CONSULTATION_CANCEL_FULL_REFUND_HOURS = env.float("CONSULTATION_CANCEL_FULL_REFUND_HOURS", default=24.0)
CONSULTATION_LATE_CANCEL_REFUND_PERCENT = env.str("CONSULTATION_LATE_CANCEL_REFUND_PERCENT", default="50")
# stripe / console / recording, or a dotted path; defaults to PAYMENTS_BACKEND.
CONSULTATION_PAYMENTS_BACKEND = env.str("CONSULTATION_PAYMENTS_BACKEND", default=PAYMENTS_BACKEND)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)

# --- engagements ---
# Days the client has to approve a submitted milestone or ask for changes; silence
# approves and releases it (decimals allowed: MILESTONE_REVIEW_DAYS=0.0001).
MILESTONE_REVIEW_DAYS = env.float("MILESTONE_REVIEW_DAYS", default=14.0)
# The platform's share of each released milestone, frozen on the engagement at acceptance.
ENGAGEMENT_PLATFORM_FEE_PERCENT = env.str("ENGAGEMENT_PLATFORM_FEE_PERCENT", default=CONSULTATION_PLATFORM_FEE_PERCENT)
# Signing secret of the Stripe endpoint /api/v1/webhooks/stripe/engagements.
ENGAGEMENT_STRIPE_WEBHOOK_SECRET = env.str("ENGAGEMENT_STRIPE_WEBHOOK_SECRET", default=STRIPE_WEBHOOK_SECRET)
# Video meetings: "jitsi" (a room with an unguessable name on MEETING_JITSI_BASE_URL) or "none".
MEETING_PROVIDER = env.str("MEETING_PROVIDER", default="jitsi")
MEETING_JITSI_BASE_URL = env.str("MEETING_JITSI_BASE_URL", default="https://meet.jit.si").rstrip("/")
INVOICE_NUMBER_PREFIX = env.str("INVOICE_NUMBER_PREFIX", default="FX")
INVOICE_SELLER_NAME = env.str("INVOICE_SELLER_NAME", default="FoodXchange Marketplace")
