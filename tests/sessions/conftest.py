"""Fixtures for the sessions app: an IV session with a plan order snapshot, and helpers to walk it forward."""

import dataclasses
import itertools

import pytest
from django.utils import timezone

from ketamine_clinic.core.protocols.dose_rule import DoseRule

PASSWORD = "demo-password-1"
IV_RULE = DoseRule("mg_per_kg", 0.5, 0.25, 1.0, infusion_duration_min=40, concentration_mg_per_ml=50)
_keys = itertools.count(1)


def key():
    return f"k{next(_keys)}"


@pytest.fixture
def patient(staff, make_patient):
    return make_patient(care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]], sex="male")


def make_consented_and_eligible(patient, prescriber, route="iv"):
    """The assessment app's records that make consent and eligibility current (its services answer True)."""
    from ketamine_clinic.assessment.models import (
        ConsentAcknowledgement,
        ConsentDocument,
        EligibilityDecision,
        EligibilityScreening,
        IntakeAssessment,
    )

    intake = IntakeAssessment.objects.create(
        patient=patient, presenting_problem="Treatment-resistant depression"
    )
    screening = EligibilityScreening.objects.create(patient=patient, intake=intake, status="eligible")
    EligibilityDecision.objects.create(
        patient=patient, screening=screening, decision="proceed", rationale="Eligible", decided_by=prescriber
    )
    document = ConsentDocument.objects.filter(route=route).order_by("-version").first()
    if document is None:
        document = ConsentDocument.objects.create(
            route=route, version=1, title="IV consent", body="Synthetic text"
        )
    ConsentAcknowledgement.objects.create(
        patient=patient, document=document, typed_name="Pat", recorded_by=prescriber
    )
    if route == "intranasal":
        enrol_in_rems(patient, prescriber)


def enrol_in_rems(patient, user):
    """The patient's SPRAVATO REMS enrolment (before the first esketamine session)."""
    from ketamine_clinic.assessment.models import RemsEnrolment

    return RemsEnrolment.objects.create(patient=patient, enrolled_on=timezone.localdate(), recorded_by=user)


@pytest.fixture
def iv_session(patient, staff):
    make_consented_and_eligible(patient, staff["prescriber"])
    from ketamine_clinic.scheduling.models import Chair
    from ketamine_clinic.sessions.models import DosingSession

    chair = Chair.objects.create(name="Chair 1", room="A")
    return DosingSession.objects.create(
        patient=patient,
        route="iv",
        scheduled_for=timezone.now(),
        chair=chair,
        dose_rule=dataclasses.asdict(IV_RULE),
    )


GOOD_BASELINE = {"sbp": 126, "dbp": 80, "hr": 72, "spo2": 98, "rr": 14}


def take_pre_dose_measures(session, user, *, phq9=(0,) * 9, cssrs=(0,) * 7, taken_at=None):
    """Score the pre-dose PHQ-9 and C-SSRS screener for the session (the real outcomes service)."""
    from ketamine_clinic.outcomes import services as outcomes

    for instrument, answers in (("phq9", phq9), ("cssrs_screener", cssrs)):
        outcomes.record_measure_response(
            patient=session.patient, instrument=instrument, answers=list(answers), user=user, session=session,
            taken_at=taken_at,
        )


def ready_pre_dose(session, user, baseline=None, measures=True, at=None):
    """Check in, move to pre-dose checks and record every check (the nurse's part), with scored measures.

    ``at`` starts the walk at that (past) time, so a test can later move the session on to "now" in order:
    the services refuse clinical times in the future and times before the step they follow."""
    import datetime as dt

    from ketamine_clinic.sessions import services

    def t(minutes):
        return None if at is None else at + dt.timedelta(minutes=minutes)

    services.transition(session, "checked_in", user=user, version=session.version, now=t(0))
    services.transition(session, "pre_dose_checks", user=user, version=session.version, now=t(1))
    services.record_reading(
        session, user=user, idempotency_key=key(), values=baseline or GOOD_BASELINE, is_baseline=True,
        taken_at=t(2),
    )
    services.save_pre_dose(
        session,
        {"weight_kg": 70, "fasting_confirmed": True, "escort_confirmed": True, "escort_name": "Sam"},
        user=user,
        version=session.version,
        now=t(3),
    )
    if measures:
        take_pre_dose_measures(session, user, taken_at=t(4))
    return session


def stock_lot(route="iv", containers=6):
    """An in-date lot of the route's drug in a safe, received through the ledger (containers whole units)."""
    import datetime as dt

    from ketamine_clinic.accounts.models import Role, User
    from ketamine_clinic.demo.inventory import ensure_products
    from ketamine_clinic.inventory import services as inventory
    from ketamine_clinic.inventory.models import Lot, StorageLocation

    product = ensure_products()["esketamine-28" if route == "intranasal" else "ketamine-50-10"]
    receiver = User.objects.filter(role=Role.NURSE, is_active=True).first()
    safe, _ = StorageLocation.objects.get_or_create(name="Session test safe")
    number = f"T-{product.key}"
    lot = Lot.objects.filter(product=product, lot_number=number).first()
    if lot is None:
        expires = timezone.localdate() + dt.timedelta(days=300)
        inventory.receive(
            actor=receiver, product=product, lot_number=number, expires_on=expires, location=safe,
            containers=containers, supplier="Synthetic Wholesale Co", invoice=f"INV-{number}",
        )
        lot = Lot.objects.get(product=product, lot_number=number)
    return lot


def second_checker_for(user):
    """Another active clinical staff member (the two-person check); the test password is theirs."""
    from ketamine_clinic.sessions.forms import second_checkers

    return second_checkers(exclude=user).first()


def confirm_dose(session, user, dose_mg=35, **kwargs):
    """Confirm the dose with a lot from stock and a second checker, as the flowsheet does."""
    from ketamine_clinic.sessions import services

    if "lot_id" not in kwargs:
        kwargs["lot_id"] = stock_lot(session.route).pk
    if "second_checker" not in kwargs:
        kwargs["second_checker"] = second_checker_for(user)
    kwargs.setdefault("second_checker_password", PASSWORD)
    return services.record_dose(session, dose_mg=dose_mg, user=user, expected_version=session.version, **kwargs)


def start_dosing(session, user, at=None, dose_mg=35):
    """Walk the session to dosing; with ``at`` (a past time) the dose starts 10 minutes after it."""
    import datetime as dt

    from ketamine_clinic.sessions import services

    stock_lot(session.route)  # received before the session started
    ready_pre_dose(session, user, at=at)
    confirm_dose(session, user, dose_mg=dose_mg, now=None if at is None else at + dt.timedelta(minutes=8))
    services.transition(
        session, "dosing", user=user, version=session.version, now=None if at is None else at + dt.timedelta(minutes=10)
    )
    return session


def discharge(session, nurse, now=None):
    """Ready for discharge, the checklist met (escort Sam), discharged: the nurse's last steps, at ``now``."""
    from ketamine_clinic.sessions import services

    services.transition(session, "ready_for_discharge", user=nurse, version=session.version, now=now)
    services.save_discharge_checklist(
        session,
        {"alert_and_oriented": True, "steady_gait": True, "nausea_controlled": True, "escort_present": True,
         "escort_name": "Sam"},
        user=nurse,
    )
    services.transition(session, "discharged", user=nurse, version=session.version, now=now)
    return session


@pytest.fixture
def helpers():
    return type(
        "H",
        (),
        {
            "ready_pre_dose": staticmethod(ready_pre_dose),
            "start_dosing": staticmethod(start_dosing),
            "confirm_dose": staticmethod(confirm_dose),
            "stock_lot": staticmethod(stock_lot),
            "discharge": staticmethod(discharge),
            "take_pre_dose_measures": staticmethod(take_pre_dose_measures),
            "second_checker_for": staticmethod(second_checker_for),
            "key": staticmethod(key),
            "consent_and_eligibility": staticmethod(make_consented_and_eligible),
        },
    )
