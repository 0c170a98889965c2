"""Mutants of ``sessions/services.py`` from the sampled mutation run (docs/mutation.md, "Service layers") that
survived the suite, or got no result there and changed something no test checked: each test pins, through the
public services, the exact behaviour such a mutant changes (a message word for word, a stored field, an audit
record, a note line)."""

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.sessions import services


def _aborted_with_signed_note(session, nurse, prescriber):
    """A session ended at check-in (aborted, a closed state) whose generated note the prescriber has signed."""
    services.transition(session, "checked_in", user=nurse, version=session.version)
    services.transition(session, "aborted", user=nurse, version=session.version, reason="Patient unwell today")
    note = services.generate_note(session, user=nurse)
    return services.sign_note(note, user=prescriber)


def test_an_amendment_keeps_its_body_and_a_blank_one_is_refused_in_words(staff, iv_session):
    """amend_note: the amendment stores the text written (stripped) and its reason; a blank body or reason is
    refused on the body field with one sentence."""
    note = _aborted_with_signed_note(iv_session, staff["nurse"], staff["prescriber"])
    for body, reason in (("", "Follow-up call"), ("Patient called: fine.", "  "), ("   ", "")):
        with pytest.raises(ValidationError) as refused:
            services.amend_note(note, user=staff["prescriber"], body=body, reason=reason)
        assert refused.value.message_dict == {"body": ["Write the amendment and its reason."]}
    amendment = services.amend_note(
        note, user=staff["prescriber"], body="  Patient called: fine.  ", reason=" Follow-up call "
    )
    amendment.refresh_from_db()
    assert (amendment.body, amendment.reason, amendment.author) == (
        "Patient called: fine.", "Follow-up call", staff["prescriber"]
    )


def test_pre_dose_weight_updates_the_chart_and_both_changes_are_audited(staff, iv_session):
    """save_pre_dose: a new weight goes to the patient's chart (audited on the patient, naming the session) and
    the session's changed checks are audited on the session, both by the nurse as "update"."""
    from decimal import Decimal

    from ketamine_clinic.audit.models import AuditEvent
    from ketamine_clinic.patients.models import Patient
    from ketamine_clinic.sessions.models import DosingSession

    nurse, patient = staff["nurse"], iv_session.patient
    services.transition(iv_session, "checked_in", user=nurse, version=iv_session.version)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    services.save_pre_dose(
        iv_session, {"weight_kg": Decimal("72.5"), "fasting_confirmed": True}, user=nurse,
        version=iv_session.version,
    )
    events = AuditEvent.objects.filter(pk__gt=last).order_by("pk")
    assert [(e.action, e.object_type, e.object_id, e.user, e.patient, e.detail) for e in events] == [
        ("update", Patient._meta.label, str(patient.pk), nurse, patient,
         {"fields": ["weight_kg"], "from_session": iv_session.pk}),
        ("update", DosingSession._meta.label, str(iv_session.pk), nurse, patient,
         {"pre_dose": ["weight_kg", "fasting_confirmed"]}),
    ]
    patient.refresh_from_db()
    assert patient.weight_kg == Decimal("72.5")


def test_a_dosing_appointment_without_any_plan_gets_no_session(staff, patient):
    """session_for_appointment: neither the appointment nor the patient has a plan -> refused in these words."""
    from django.utils import timezone

    from ketamine_clinic.scheduling.models import Appointment, Chair
    from ketamine_clinic.sessions.models import DosingSession

    chair = Chair.objects.create(name="Chair P", room="A")
    appointment = Appointment.objects.create(
        patient=patient, kind="dosing", starts_at=timezone.now(), chair=chair, staff=staff["nurse"]
    )
    with pytest.raises(ValidationError) as refused:
        services.session_for_appointment(appointment, user=staff["nurse"])
    assert refused.value.message_dict == {
        "__all__": ["The patient has no active plan: the prescriber must write one first."]
    }
    assert not DosingSession.objects.filter(appointment=appointment).exists()


def test_the_note_lists_each_reading_and_intervention_in_full(staff, iv_session, helpers):
    """compose_note: a reading's line gives every vital (a missing one as "-"), at the clinic's HH:MM; an
    intervention's line gives the pump's new rate and the note."""
    from decimal import Decimal

    from django.utils import timezone

    from ketamine_clinic.sessions.models import Intervention

    nurse = staff["nurse"]
    helpers.ready_pre_dose(iv_session, nurse)
    later = timezone.now()
    services.record_reading(
        iv_session, user=nurse, idempotency_key=helpers.key(), values={"sbp": 131, "dbp": 84, "spo2": 97},
        taken_at=later,
    )
    services.add_entry(
        Intervention, iv_session, user=nurse, idempotency_key=helpers.key(), given_at=later,
        kind="rate_reduced", new_rate_ml_per_h=Decimal("75"), note="Nausea",
    )
    iv_session.refresh_from_db()
    baseline = services.baseline_reading(iv_session)
    hhmm = timezone.localtime(baseline.taken_at).strftime("%H:%M")
    at = timezone.localtime(later).strftime("%H:%M")
    lines = services.compose_note(iv_session).splitlines()
    assert f"  {hhmm} baseline BP 126/80 HR 72 SpO2 98 RR 14" in lines
    assert f"  {at} BP 131/84 HR - SpO2 97 RR -" in lines
    assert "  Peak systolic 131; peak heart rate 72" in lines
    assert f"  {at} Rate reduced (new rate 75.0 mL/h) - Nausea" in lines


def test_the_booked_appointment_follows_check_in_and_discharge(staff, make_patient, helpers):
    """_sync_appointment (through transition): checking the patient in marks the dosing appointment
    "checked_in", discharging marks it "completed"."""
    import datetime as dt

    from django.utils import timezone

    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans
    from ketamine_clinic.scheduling import services as scheduling
    from ketamine_clinic.scheduling.models import Chair

    nurse, prescriber = staff["nurse"], staff["prescriber"]
    now = timezone.now()
    at = now - dt.timedelta(minutes=125)
    patient = make_patient(care_team=[prescriber, nurse], sex="male")
    ready_for_planning(prescriber, patient, "iv")
    plans.create_plan(prescriber, patient, protocol_key="iv_racemic_standard", start_date=timezone.localdate(at))
    chair = Chair.objects.create(name="Sync chair", room="Suite S")
    appointment = scheduling.book_session_now(nurse, patient, route="iv", chair=chair, staff=nurse, starts_at=at)
    session, _ = services.session_for_appointment(appointment, user=nurse)
    helpers.start_dosing(session, nurse, at=at)  # checked in at `at`, dosing from at + 10 min
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"
    services.transition(session, "monitoring", user=nurse, version=session.version, now=now - dt.timedelta(minutes=65))
    services.record_reading(
        session, user=nurse, idempotency_key=helpers.key(),
        values={"sbp": 130, "dbp": 82, "hr": 76, "spo2": 98, "rr": 14}, taken_at=now - dt.timedelta(minutes=5),
    )
    helpers.discharge(session, nurse, now)
    appointment.refresh_from_db()
    assert appointment.status == "completed"
