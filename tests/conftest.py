"""Shared fixtures: one user per role, patients with care teams, logged-in clients, and the clinic clock."""

import datetime as dt
import itertools
import os
from decimal import Decimal

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "demo-password-1"
_mrn_counter = itertools.count(1)

# The clinic clock every test starts at: a Tuesday (the clinic is open Monday to Friday) at 10:00 on the clinic's
# wall clock (settings.TIME_ZONE, CLINIC_TIME_ZONE: America/New_York), whatever the host's hour and time zone.
# CLINIC_TEST_NOW="2026-12-01T23:58" runs the suite at another clinic time (e.g. to probe midnight).
CLINIC_TEST_NOW = os.environ.get("CLINIC_TEST_NOW", "2026-12-01T10:00")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test in a file (WAL) rather than in memory, as the clinic runs.

    The live server of the browser tests answers HTMX panels in parallel threads; a shared in-memory
    database locks whole tables between them ("database table is locked"), a file in WAL mode does not.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test-clinic.sqlite3")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests create many users. Production keeps Argon2 first.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class ClinicClock:
    """The process's clock (time-machine), read and set on the clinic's wall clock.

    time-machine patches the whole process, so the live server thread of the browser tests, the services'
    "not in the future" checks (timezone.now()) and the test read the same clock; it ticks from where it is set.
    """

    def __init__(self, traveller, zone):
        self._traveller = traveller
        self.zone = zone

    def local(self, value):
        """A clinic wall-clock time ("2026-12-01T09:30" or a naive datetime) as an aware datetime."""
        value = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        return value if value.tzinfo else value.replace(tzinfo=self.zone)

    def now(self):
        return dt.datetime.now(self.zone)

    def today(self):
        return self.now().date()

    def move_to(self, value):
        """Set the clock to a clinic wall-clock time; it goes on ticking from there. Returns the aware time."""
        when = self.local(value)
        self._traveller.move_to(when)
        return when


@pytest.fixture(autouse=True)
def clinic_clock():
    """Every test runs on the clinic clock, set to CLINIC_TEST_NOW in the clinic's time zone (ticking)."""
    from zoneinfo import ZoneInfo

    import time_machine
    from django.conf import settings

    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.fromisoformat(CLINIC_TEST_NOW).replace(tzinfo=zone)
    with time_machine.travel(start, tick=True) as traveller:
        yield ClinicClock(traveller, zone)


@pytest.fixture
def staff(db):
    """One user per staff role plus a second prescriber and nurse who are on no care team by default."""
    from ketamine_clinic.accounts.models import Role, User

    users = {}
    for role in Role:
        if role == Role.PATIENT:
            continue
        users[role.value] = User.objects.create_user(
            username=f"t_{role.value}", password=PASSWORD, role=role, first_name="Test", last_name=role.label
        )
    users["other_prescriber"] = User.objects.create_user(username="t_other_prescriber", password=PASSWORD,
                                                         role=Role.PRESCRIBER)
    users["other_nurse"] = User.objects.create_user(username="t_other_nurse", password=PASSWORD, role=Role.NURSE)
    users["other_therapist"] = User.objects.create_user(username="t_other_therapist", password=PASSWORD,
                                                        role=Role.THERAPIST)
    _certified_setting(users["director"])
    return users


def _certified_setting(director):
    """The test clinic is certified in the SPRAVATO REMS (esketamine is booked and dosed only in a certified
    setting); a test of the gate takes the certification away."""
    from ketamine_clinic.clinic.services import current_site

    site = current_site()
    site.rems_setting_id, site.rems_certified_on, site.rems_certified_by = "TEST-HCS-1", dt.date(2026, 1, 5), director
    site.save()


@pytest.fixture
def make_patient(db):
    """make_patient(care_team=[users], with_login=False, **fields) -> Patient (synthetic)."""
    from django.utils import timezone

    from ketamine_clinic.accounts.models import Role, User
    from ketamine_clinic.patients.models import CareTeamMember, Patient

    def make(care_team=(), with_login=False, **fields):
        n = next(_mrn_counter)
        defaults = dict(
            mrn=f"T{n:05d}", first_name=f"Pat{n}", last_name="Synthetic", date_of_birth=dt.date(1985, 5, 17),
            sex="female", weight_kg=Decimal("70.0"), weight_measured_on=timezone.localdate(),
        )
        defaults.update(fields)
        patient = Patient.objects.create(**defaults)
        for i, user in enumerate(care_team):
            CareTeamMember.objects.create(patient=patient, user=user, is_primary=(i == 0) or user.role != "prescriber")
        if with_login:
            patient.user = User.objects.create_user(
                username=f"t_patient_{n}", password=PASSWORD, role=Role.PATIENT, first_name=patient.first_name
            )
            patient.save(update_fields=["user"])
        return patient

    return make


@pytest.fixture
def client_as(db):
    """client_as(user) -> a django.test.Client logged in as that user, with the second factor given where the
    user's role requires it (tests/second_factor.py)."""
    from django.test import Client
    from second_factor import sign_in

    def make(user):
        return sign_in(Client(), user)

    return make


@pytest.fixture
def demo_chain(db):
    """demo_chain(patients=20, through="sessions") -> DemoClinic: the demo seeds in their order for the first
    ``patients`` demo patients, up to and including the ``through`` app (quick enough for one test)."""
    from django.utils import timezone

    from ketamine_clinic.demo.clinic import DemoClinic, seed_registry, steps

    def make(patients=20, through="sessions"):
        clinic = DemoClinic(now=timezone.now())
        seed_registry(clinic)
        clinic.patients = clinic.patients[:patients]
        for step in steps(through=through):
            step(clinic)
        return clinic

    return make
