"""The demo clinic's registry: staff (one or more per role) and ~40 patients across the phases of care.

Everything here is invented. Names come from short lists combined at random with a fixed seed, so the demo
is the same on every machine and no real person is described. Seeding is idempotent: running it again finds
what exists and creates nothing new.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from ketamine_clinic.accounts.models import Role, User
from ketamine_clinic.clinic import services
from ketamine_clinic.patients.models import Diagnosis, Patient, Phase

DEMO_PASSWORD = "demo-password-1"

STAFF = [
    # username, first, last, role, credentials
    ("director", "Morgan", "Hale", Role.DIRECTOR, "MD"),
    ("prescriber", "Priya", "Raman", Role.PRESCRIBER, "MD"),
    ("prescriber2", "Daniel", "Okafor", Role.PRESCRIBER, "NP"),
    ("nurse", "Nora", "Lindqvist", Role.NURSE, "RN"),
    ("nurse2", "Tomas", "Reyes", Role.NURSE, "RN"),
    ("therapist", "Theo", "Marchetti", Role.THERAPIST, "LCSW"),
    ("frontdesk", "Fran", "Delaney", Role.FRONT_DESK, ""),
]
FIRST_NAMES = ["Avery", "Blake", "Casey", "Dana", "Emery", "Finley", "Gray", "Harper", "Indy", "Jules", "Kai",
               "Lane", "Marlow", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum", "Umber", "Val",
               "Wren", "Yael", "Zion"]
LAST_NAMES = ["Ashdown", "Birchwood", "Calloway", "Dunmore", "Everly", "Fairbanks", "Glenhaven", "Holloway",
              "Ironwood", "Juniper", "Kestrel", "Larkspur", "Merriweather", "Northcott", "Oakhurst", "Pemberton",
              "Quarry", "Redfern", "Stillwater", "Thornbury"]
# (ICD-10-CM code, description) for the conditions ketamine clinics treat.
CONDITIONS = [
    ("F33.2", "Major depressive disorder, recurrent, severe without psychotic features"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F32.2", "Major depressive disorder, single episode, severe without psychotic features"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F42.2", "Mixed obsessional thoughts and acts"),
    ("F31.32", "Bipolar disorder, current episode depressed, moderate"),
]
MEDICATIONS = ["Sertraline 100 mg daily", "Escitalopram 20 mg daily", "Bupropion XL 300 mg daily",
               "Venlafaxine XR 150 mg daily", "Mirtazapine 30 mg at night", "Aripiprazole 5 mg daily"]
PHASE_COUNTS = [(Phase.SCREENING, 8), (Phase.INDUCTION, 12), (Phase.MAINTENANCE, 14), (Phase.DISCHARGED, 6)]
PATIENT_LOGINS = 3  # the first patients of the induction and maintenance groups get portal logins


@dataclass
class DemoClinic:
    """What the areas' seeds share: the staff by role, the patients, one random stream and the clinic's clock."""

    staff: dict[str, list[User]] = field(default_factory=dict)
    patients: list[Patient] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    now: dt.datetime = field(default_factory=timezone.now)

    def first(self, role: str) -> User:
        return self.staff[role][0]


def _user(username, first, last, role, credentials="") -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "role": role, "credentials": credentials,
                  "email": f"{username}@demo-clinic.invalid"},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _patient(clinic: DemoClinic, number: int, phase: str, today: dt.date) -> tuple[Patient, bool]:
    """Demo patient ``number`` (found, or created with a primary diagnosis): (patient, created)."""
    rng = clinic.rng
    mrn = f"DEMO{number:04d}"
    # Drawn whether or not the patient exists already (they are get_or_create's defaults).
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    age_days = rng.randint(20 * 365, 70 * 365)
    weight = Decimal(rng.randint(520, 1100)) / 10
    code, description = rng.choice(CONDITIONS)
    patient, created = Patient.objects.get_or_create(
        mrn=mrn,
        defaults=dict(
            first_name=first, last_name=last, date_of_birth=today - dt.timedelta(days=age_days),
            sex=rng.choice(["female", "male", "female", "male", "other"]),
            phone=f"(202) 555-01{number:02d}", email=f"{first.lower()}.{mrn.lower()}@example.invalid",
            address=f"{rng.randint(1, 999)} Demo Street, Sampletown",
            emergency_contact_name=f"{rng.choice(FIRST_NAMES)} {last}",
            emergency_contact_phone=f"(202) 555-02{number:02d}",
            weight_kg=weight, weight_measured_on=today - dt.timedelta(days=rng.randint(0, 20)),
            height_cm=Decimal(rng.randint(152, 195)), height_measured_on=today - dt.timedelta(days=60),
            allergies=rng.choice(["NKDA", "NKDA", "Penicillin (rash)", "Sulfa drugs (hives)"]),
            current_medications="\n".join(rng.sample(MEDICATIONS, rng.randint(1, 2))),
            phase=phase,
        ),
    )
    if created:
        Diagnosis.objects.create(patient=patient, icd10_code=code, description=description,
                                 is_primary=True, noted_on=today - dt.timedelta(days=rng.randint(90, 900)))
    return patient, created


def _put_on_care_team(clinic: DemoClinic, patient: Patient, number: int) -> None:
    """The front desk puts the team on, as at the desk (patients.services: audited, active clinicians only)."""
    for member in (clinic.staff[Role.PRESCRIBER][number % 2], clinic.staff[Role.NURSE][number % 2],
                   clinic.first(Role.THERAPIST)):
        services.add_to_care_team(clinic.first(Role.FRONT_DESK), patient, member, is_primary=True)


def seed_registry(clinic: DemoClinic) -> None:
    for username, first, last, role, cred in STAFF:
        clinic.staff.setdefault(role, []).append(_user(username, first, last, role, cred))
    today = timezone.localdate(clinic.now)  # the clinic's day: UTC's is already tomorrow after 19:00 in New York
    number = 0
    logins_given = 0
    for phase, count in PHASE_COUNTS:
        for _ in range(count):
            number += 1
            patient, created = _patient(clinic, number, phase, today)
            if created:
                _put_on_care_team(clinic, patient, number)
                if phase in (Phase.INDUCTION, Phase.MAINTENANCE) and logins_given < PATIENT_LOGINS:
                    logins_given += 1
                    patient.user = _user(f"patient{logins_given}", patient.first_name, patient.last_name,
                                         Role.PATIENT)
                    patient.save(update_fields=["user"])
            clinic.patients.append(patient)


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, password, role) of every demo login, for printing."""
    users = User.objects.filter(username__in=[s[0] for s in STAFF] + [f"patient{i}" for i in range(1, 10)])
    return [(u.username, DEMO_PASSWORD, u.get_role_display()) for u in users.order_by("role", "username")]
