"""The billing lines of real sessions (driven through the sessions services), the range in clinic days, the
patients a user may open, and the audit row."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.billing import services


def codes(suggestion):
    return {line.code: line.units for line in suggestion.lines}


def test_completed_iv_session_gets_the_first_hour_and_the_drug(completed_iv):
    suggestion = services.codes_for(completed_iv)
    assert completed_iv.state == "discharged"
    assert suggestion.infusion_minutes == 50
    assert codes(suggestion) == {"96365": 1, "J3490": 1}
    assert "35 mg" in suggestion.lines[1].why


@pytest.mark.parametrize(("dose", "expected"), [(56, {"G2082": 1, "J0013": 56}), (84, {"G2083": 1, "J0013": 84})])
def test_esketamine_session_gets_its_g_code_by_dose(esketamine_session, dose, expected):
    session = esketamine_session(dose)
    suggestion = services.codes_for(session)
    assert codes(suggestion) == expected
    assert suggestion.observation_minutes == 125


def test_aborted_session_has_no_codes(aborted_session):
    suggestion = services.codes_for(aborted_session)
    assert suggestion.lines == () and "No drug was given" in suggestion.notes[0]


def test_session_under_way_is_not_listed_and_has_no_codes(staff, iv_session, helpers, completed_iv):
    from ketamine_clinic.sessions.models import DosingSession

    under_way = DosingSession.objects.create(patient=completed_iv.patient, route="iv", scheduled_for=timezone.now())
    today = timezone.localdate()
    listed = services.sessions_with_codes(staff["director"], today, today)
    assert [b.session.pk for b in listed] == [completed_iv.pk]
    assert "not finished" in services.codes_for(under_way).notes[0]


def test_range_is_clinic_days_and_only_visible_patients(staff, completed_iv, aborted_session, make_patient):
    from ketamine_clinic.sessions.models import DosingSession

    today = timezone.localdate()
    # Late on the previous clinic day (23:30 in the clinic's zone, already the next day in UTC): not today.
    late = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time(23, 30)))
    outsider = make_patient(care_team=[staff["other_prescriber"]])
    DosingSession.objects.create(patient=outsider, route="iv", scheduled_for=late, state="aborted")
    DosingSession.objects.create(patient=completed_iv.patient, route="iv", scheduled_for=late, state="aborted")

    mine = services.sessions_with_codes(staff["prescriber"], today, today)
    assert {b.session.pk for b in mine} == {completed_iv.pk, aborted_session.pk}
    yesterday = services.sessions_with_codes(staff["prescriber"], today - dt.timedelta(days=1), today)
    assert len(yesterday) == 3  # the prescriber's own late session, not the outsider's
    assert len(services.sessions_with_codes(staff["front_desk"], today - dt.timedelta(days=1), today)) == 4
    assert services.sessions_with_codes(staff["other_prescriber"], today, today) == []


def test_listing_is_audited_with_its_sessions_and_patients(staff, completed_iv):
    today = timezone.localdate()
    services.sessions_with_codes(staff["front_desk"], today, today)
    event = AuditEvent.objects.filter(user=staff["front_desk"], action="export").latest("id")
    assert event.detail["export"] == "billing codes"
    assert event.detail["sessions"] == [completed_iv.pk] and event.detail["patients"] == [completed_iv.patient_id]


def test_roles_without_billing_are_refused(staff):
    today = timezone.localdate()
    for role in ("nurse", "therapist"):
        with pytest.raises(PermissionDenied):
            services.sessions_with_codes(staff[role], today, today)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(dt.date(2026, 12, 2), dt.date(2026, 12, 1), "end"), (dt.date(2025, 1, 1), dt.date(2026, 12, 1), "end")],
)
def test_bad_ranges_are_refused_by_field(staff, start, end, field):
    with pytest.raises(ValidationError) as exc:
        services.sessions_with_codes(staff["director"], start, end)
    assert field in exc.value.message_dict


def test_export_rows_for_the_command_line(staff, completed_iv, aborted_session):
    today = timezone.localdate()
    header, rows = services.export_rows(staff["director"], today, today)
    assert header == services.HEADER
    by_session = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    iv = by_session[completed_iv.pk]
    assert iv["codes"] == "96365 x1; J3490 x1" and iv["infusion_minutes"] == 50 and iv["dose_mg"] == "35"
    assert iv["patient_mrn"] == completed_iv.patient.mrn and iv["date_of_service"] == today.isoformat()
    aborted = by_session[aborted_session.pk]
    assert aborted["codes"] == "" and aborted["dose_mg"] == "" and "No drug was given" in aborted["notes"]
    assert AuditEvent.objects.filter(action="export", detail__via="command line").count() == 1


def test_pauses_charted_on_the_flowsheet_are_not_infusion_time(staff, iv_session, walk):
    """95 min from start to end of dosing with a 15-minute pause is 80 min: the first hour only (no 96366)."""
    from ketamine_clinic.sessions import services as sessions
    from ketamine_clinic.sessions.models import Intervention

    nurse = staff["nurse"]
    now = timezone.now().replace(second=0, microsecond=0)
    minutes_ago = lambda m: now - dt.timedelta(minutes=m)  # noqa: E731
    walk.start_dosing(iv_session, nurse, at=minutes_ago(170))
    for key, kind, at in (("p1", "infusion_paused", 140), ("r1", "infusion_resumed", 125)):
        sessions.add_entry(Intervention, iv_session, user=nurse, idempotency_key=key, kind=kind,
                           given_at=minutes_ago(at))
    sessions.transition(iv_session, "monitoring", user=nurse, version=iv_session.version, now=minutes_ago(65))
    walk.discharge(iv_session, nurse, now)
    suggestion = services.codes_for(iv_session)
    assert suggestion.infusion_minutes == 80 and codes(suggestion) == {"96365": 1, "J3490": 1}
    assert services.infusion_pauses(iv_session) == ((minutes_ago(140), minutes_ago(125)),)
