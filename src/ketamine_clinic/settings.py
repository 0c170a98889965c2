"""Django settings for ketamine-clinic: one module, configured by environment variables.

* ``DATABASE_URL``: a database URL (``postgres://user@host:5432/name``) selects PostgreSQL, the production
  database. Unset, an embedded SQLite file under ``KETAMINE_CLINIC_DATA_DIR`` (default ``./var``) is used,
  in WAL mode so that readers do not block the writer.
* ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG``, ``DJANGO_ALLOWED_HOSTS``: the usual.
* ``STAFF_SESSION_TIMEOUT_MIN`` (default 15) and ``PATIENT_SESSION_TIMEOUT_MIN`` (default 30): log out after
  this much inactivity.
"""

import datetime as dt
import os
import sys
from pathlib import Path

import dj_database_url

from ketamine_clinic.core.administration import discharge_hint as _discharge_hint
from ketamine_clinic.core.administration import rems_form as _rems_form
from ketamine_clinic.core.safety import pdmp as _pdmp

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("KETAMINE_CLINIC_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
# The local demo clinic and the test suite may run on development keys over plain HTTP on 127.0.0.1; anything else
# is a clinic's server and must be configured (see below). The demo is the embedded database that
# `ketamine-clinic demo` made (it leaves the file DEMO beside it), or KETAMINE_CLINIC_DEMO=1.
DEMO_MARKER = DATA_DIR / "DEMO"
DEMO = os.environ.get("KETAMINE_CLINIC_DEMO", "0") == "1" or (
    not os.environ.get("DATABASE_URL") and DEMO_MARKER.exists()
)
TESTING = "pytest" in sys.modules
DEVELOPMENT = DEBUG or DEMO or TESTING
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEVELOPMENT:
    SECRET_KEY = SECRET_KEY or "insecure-development-key-change-me-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",  # login throttling and lockout
    "django_otp",  # two-factor sign-in: TOTP apps and one-time recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "ninja",  # /api/docs: Swagger UI from the app's own static files (without it, ninja links a CDN)
    "ketamine_clinic.accounts",
    "ketamine_clinic.audit",
    "ketamine_clinic.patients",
    "ketamine_clinic.clinic",  # the registry's and the audit log's pages, above the gate
    "ketamine_clinic.assessment",
    "ketamine_clinic.plans",
    "ketamine_clinic.scheduling",
    "ketamine_clinic.sessions",
    "ketamine_clinic.outcomes",
    "ketamine_clinic.inventory",
    "ketamine_clinic.followup",
    "ketamine_clinic.portal",
    "ketamine_clinic.prediction",
    "ketamine_clinic.interop",  # FHIR export
    "ketamine_clinic.billing",  # CPT/HCPCS codes on the session record
    "ketamine_clinic.notifications",  # the outbox: email and SMS through the task worker
    "django_tasks",
    "django_tasks_db",  # the tasks' database backend and its db_worker
    "ketamine_clinic.demo",  # the synthetic demo clinic: only its seed_demo command (no models)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor given this session
    "ketamine_clinic.accounts.middleware.InactivityTimeoutMiddleware",
    "ketamine_clinic.accounts.middleware.NoStoreMiddleware",
    # After the two above, so a session waiting for its code still times out and its answers are not cached.
    "ketamine_clinic.accounts.middleware.TwoFactorMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into the locked-out login page
]

ROOT_URLCONF = "ketamine_clinic.urls"
WSGI_APPLICATION = "ketamine_clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketamine_clinic.accounts.context_processors.role",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # any command (migrate, demo, shell) may be the first run
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "clinic.sqlite3",
            # WAL lets the flowsheet read while a nurse saves; IMMEDIATE avoids lock-upgrade deadlocks.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Password guessing (django-axes): every password check (the login page, and a second checker's or witness's password
# in accounts.services.confirm_second_person, for pages and API alike) counts failures per username. The 5th wrong
# password locks the account for AXES_COOLOFF_MIN minutes (each refused try restarts them); while locked even the
# right password is refused. By username, not address: one clinic's workstations often reach the server from one
# address (NAT, the reverse proxy), so an address lock would shut the whole clinic out for one person's typos, and a
# guesser cannot get round a username lock by changing address. A username that is no account is counted the same,
# so the answers never tell which usernames exist. The medical director unlocks (accounts.services.unlock).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",  # first: refuses a locked-out username before the password is looked at
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_MIN = int(os.environ.get("AXES_COOLOFF_MIN", "15"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MIN)
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 warns that a lock without the address can be dodged by changing User-Agent or cookies; that is true of
# locks on a (username, User-Agent) pair, not of this one, which counts every failure on the username whatever sent it
# (tests/accounts/test_lockout.py changes the User-Agent and is still refused).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "ketamine_clinic.accounts.services.lockout_username"  # cut to 150 characters
AXES_LOCKOUT_CALLABLE = "ketamine_clinic.accounts.views.locked_out"  # the login page with the clinic's message
AXES_DISABLE_ACCESS_LOG = True  # the audit log already records every login and logout
AXES_VERBOSE = False  # the audit log records failures; axes' own log lines would repeat them
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)  # X-Forwarded-For is trivially forged (see audit._client_ip)

# Two-factor sign-in (django-otp: an authenticator app's 6-digit code, or a one-time recovery code). Required for the
# roles in MFA_REQUIRED_ROLES (comma-separated role names): prescribers and the medical director by default, since
# prescribing controlled substances needs two factors (DEA EPCS, 21 CFR 1311). Every other user may turn it on. The
# local demo does not require it unless MFA_REQUIRED_ROLES is set, so the printed demo passwords work; a clinic's
# server and the test suite do.
MFA_CLINIC_ROLES = frozenset({"prescriber", "director"})
_mfa_roles = os.environ.get("MFA_REQUIRED_ROLES")
if _mfa_roles is None:
    _mfa_roles = "" if DEMO and not TESTING else ",".join(sorted(MFA_CLINIC_ROLES))
MFA_REQUIRED_ROLES = frozenset(r.strip() for r in _mfa_roles.split(",") if r.strip())
_unknown_roles = MFA_REQUIRED_ROLES - {"director", "prescriber", "nurse", "therapist", "front_desk", "patient"}
if _unknown_roles:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"MFA_REQUIRED_ROLES names unknown roles: {', '.join(sorted(_unknown_roles))}.")
OTP_TOTP_ISSUER = os.environ.get("MFA_ISSUER", "ketamine-clinic")  # the name the authenticator app shows

# Inactivity timeouts (minutes). The middleware sets each session's expiry from the user's role.
STAFF_SESSION_TIMEOUT_MIN = int(os.environ.get("STAFF_SESSION_TIMEOUT_MIN", "15"))
PATIENT_SESSION_TIMEOUT_MIN = int(os.environ.get("PATIENT_SESSION_TIMEOUT_MIN", "30"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("DJANGO_SECURE_COOKIES", "0" if DEVELOPMENT else "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Clinic policy: days a screening decision / a consent acknowledgement stays current (0 = no time limit); why a
# year is explained in assessment/services.py. CLINIC_CALENDAR (open weekdays, hours, closed dates) may be set
# here as a dict; without it the clinic is open Monday to Friday (see scheduling/services.py clinic_calendar).
# Phone numbers of this country may be typed without the country code (ISO 3166 code; patients/forms.py).
CLINIC_PHONE_REGION = os.environ.get("CLINIC_PHONE_REGION", "US")
ELIGIBILITY_VALID_DAYS = int(os.environ.get("ELIGIBILITY_VALID_DAYS", "365"))
CONSENT_VALID_DAYS = int(os.environ.get("CONSENT_VALID_DAYS", "365"))
# How old a PDMP check may be when a controlled-substance plan starts (core.safety.pdmp: 90 days after CDC 2022).
PDMP_CHECK_VALID_DAYS = int(os.environ.get("PDMP_CHECK_VALID_DAYS", _pdmp.DEFAULT_VALID_DAYS))
# The predicted esketamine level the REMS form's evaluation suggestion waits for (a hint; core.administration.rems_form).
REMS_PREDICTED_LEVEL_NG_PER_ML = float(
    os.environ.get("REMS_PREDICTED_LEVEL_NG_PER_ML", _rems_form.DEFAULT_PREDICTED_LEVEL_NG_PER_ML)
)
# The predicted racemic ketamine level the flowsheet's discharge hint waits for (clinic-set, a hint; Bowdle 1998,
# core.administration.discharge_hint).
DISCHARGE_HINT_LEVEL_NG_PER_ML = float(
    os.environ.get("DISCHARGE_HINT_LEVEL_NG_PER_ML", _discharge_hint.DEFAULT_LEVEL_NG_PER_ML)
)

# The controlled-substance ledger's seal key (HMAC-SHA256, see core/inventory/chain.py). It must NOT be stored
# in the database: whoever holds it can re-seal a rewritten ledger. Set LEDGER_KEY (at least 16 characters,
# e.g. `python -c "import secrets; print(secrets.token_hex(32))"`) in production and keep it with the other
# secrets; changing it makes every existing seal fail verification. Unset, a fixed development key is used
# (development, DJANGO_DEBUG=1 and the tests); production should refuse to start without it (not enforced
# yet: LEDGER_KEY_IS_DEVELOPMENT says which key is in force).
LEDGER_KEY = os.environ.get("LEDGER_KEY", "")
LEDGER_KEY_IS_DEVELOPMENT = not LEDGER_KEY
if LEDGER_KEY_IS_DEVELOPMENT and DEVELOPMENT:
    LEDGER_KEY = "insecure-development-ledger-key-change-me"

# Safe by default: a clinic's server (not debug, not the demo, not the tests) refuses to start without its own
# secrets and host names, and says which are missing.
_missing = [
    name
    for name, value in (
        ("DJANGO_SECRET_KEY", SECRET_KEY),
        ("LEDGER_KEY", LEDGER_KEY),
        ("DJANGO_ALLOWED_HOSTS", ALLOWED_HOSTS),
    )
    if not value
]
if _missing:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "ketamine-clinic refuses to start without "
        + ", ".join(_missing)
        + " (set in the environment; see README 'Deploying'). For the local demo run `ketamine-clinic demo`."
    )
if not DEVELOPMENT and len(LEDGER_KEY) < 16:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("LEDGER_KEY must be at least 16 characters.")

# HTTPS behind the clinic's reverse proxy (which terminates TLS and sets X-Forwarded-Proto). Off for the local demo
# on http://127.0.0.1. HSTS for a year once the site is known to be HTTPS-only (Django's deployment checklist).
_HTTPS = os.environ.get("DJANGO_HTTPS", "0" if DEVELOPMENT else "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _HTTPS else None
SECURE_SSL_REDIRECT = _HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000")) if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
# The preload flag only allows submitting the domain to browsers' HTTPS-only list; DJANGO_HSTS_PRELOAD=0 drops it.
SECURE_HSTS_PRELOAD = _HTTPS and os.environ.get("DJANGO_HSTS_PRELOAD", "1") == "1"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer probes over plain HTTP inside the network
# Content-Security-Policy (django-csp): scripts only from the app's own static files, so an injected <script> or
# onclick= in a chart note cannot run; no plugins, no framing, forms post only here. Inline *styles* stay allowed:
# templates use style attributes and matplotlib's SVG charts carry a <style> element (styles cannot run code).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("CLINIC_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves the static files from the app server itself (no separate web server needed); with finders it
# also serves them before `collectstatic` has run (the demo and the tests). `ketamine-clinic serve` collects them.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks here too (collectstatic fills it)

# The production server (`ketamine-clinic serve`): gunicorn workers and where it listens.
SERVER_WORKERS = int(os.environ.get("SERVER_WORKERS", "3"))
SERVER_BIND = os.environ.get("SERVER_BIND", "127.0.0.1:8000")

# Messages that leave the app (notifications/): Django's tasks API on the database backend (django-tasks-db), so
# the queue lives in the clinic's own database and `ketamine-clinic worker` (db_worker) runs on as many machines as
# needed. See docs/notifications.md.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Email: SMTP when EMAIL_HOST is set (a clinic's server); otherwise one file per message under DATA_DIR/mail (the
# demo). EMAIL_BACKEND may name any Django email backend.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "1" if EMAIL_HOST else "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", DATA_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ketamine-clinic <no-reply@localhost>")
# Text messages: a dotted path to a notifications.sms.SmsBackend (a provider adapter; the file and console
# backends ship for the demo). The file backend writes one file per message under SMS_FILE_PATH.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "ketamine_clinic.notifications.sms.FileBackend")
SMS_FILE_PATH = Path(os.environ.get("SMS_FILE_PATH", DATA_DIR / "sms"))
# Where links in messages point (the portal, the dashboard): the clinic's public address.
CLINIC_BASE_URL = os.environ.get("CLINIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Clinic policy: hours before a dosing visit at which the patient is reminded ("48,2"); minutes an urgent
# suicide-risk task may stay unacknowledged before the director is paged; the director on call (a username; blank:
# every active director); how often the worker's sweep looks for reminders and digests due.
REMINDER_HOURS_BEFORE = tuple(
    sorted({int(h) for h in os.environ.get("REMINDER_HOURS_BEFORE", "48,2").split(",") if h.strip()}, reverse=True)
)
URGENT_ESCALATION_MIN = int(os.environ.get("URGENT_ESCALATION_MIN", "15"))
ON_CALL_DIRECTOR = os.environ.get("ON_CALL_DIRECTOR", "").strip()
NOTIFICATION_SWEEP_MIN = int(os.environ.get("NOTIFICATION_SWEEP_MIN", "5"))
# The staff digest (unsigned notes, counts not recorded, ...) goes once a day at this clinic time on open days.
DIGEST_AT = dt.time.fromisoformat(os.environ.get("DIGEST_AT", "17:00"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
