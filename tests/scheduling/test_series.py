"""The induction series on the desk's day, the prescriber's work list, the schedule page and the API: a missed
visit, a dose moved twice and a long gap each flag the patient with the reason; a patient on track is not flagged;
only those who may open the patient see them.

The clock starts Tue 1 Dec 2026; the plans start Mon 7 Dec, so the generated IV induction is Mon 7, Wed 9, Fri 11,
Mon 14, Wed 16, Fri 18 Dec at 09:00.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketamine_clinic.scheduling import services
from ketamine_clinic.scheduling.models import Appointment, Chair
from ketamine_clinic.scheduling.series import at_risk_patients, series_progress

pytestmark = pytest.mark.django_db
PANEL = "/schedule/arrivals/panel/"


@pytest.fixture
def chairs(db):
    return [Chair.objects.create(name=f"Chair {n}") for n in range(1, 4)]


@pytest.fixture
def induction(staff, ready_patient, chairs):
    """induction(**fields) -> (patient, [dose 1..6 appointments]) with the plan's schedule generated."""

    def make(**fields):
        patient = ready_patient("iv", **fields)
        plan = patient.treatment_plans.current()
        services.generate_from_plan(staff["front_desk"], plan)
        doses = list(plan.appointments.filter(kind="dosing", phase_key="induction").order_by("dose_number"))
        assert [d.dose_number for d in doses] == [1, 2, 3, 4, 5, 6]
        return patient, doses

    return make


def given(*appointments):
    """The doses were given (the session's discharge marks its appointment completed)."""
    Appointment.objects.filter(pk__in=[a.pk for a in appointments]).update(status="completed")


def reasons(patient, user):
    rows = {row.patient.pk: row for row in at_risk_patients(user)}
    return rows[patient.pk].progress.at_risk_reasons if patient.pk in rows else ()


def test_a_patient_on_track_is_not_flagged(staff, induction, clinic_clock):
    patient, doses = induction(last_name="Ontrack")
    clinic_clock.move_to("2026-12-13T12:00")  # Sunday after Mon, Wed, Fri
    given(*doses[:3])
    progress = series_progress(patient)
    assert (progress.done, progress.total, progress.days_since_last_done) == (3, 6, 2)
    assert progress.next_booked_dose == 4 and progress.at_risk_reasons == ()
    assert reasons(patient, staff["front_desk"]) == () and reasons(patient, staff["prescriber"]) == ()


def test_a_missed_visit_flags_the_patient_with_its_day(staff, induction, clinic_clock):
    patient, doses = induction(last_name="Missedwed")
    clinic_clock.move_to("2026-12-10T12:00")
    given(doses[0])
    Appointment.objects.filter(pk=doses[1].pk).update(status="no_show")
    assert reasons(patient, staff["front_desk"]) == ("missed visit on Wed 9 Dec",)
    assert series_progress(patient).missed == 1


def test_a_dose_moved_twice_flags_the_patient(staff, induction):
    patient, doses = induction(last_name="Movedtwice")
    third = doses[2]  # Fri 11 Dec 09:00
    services.reschedule(staff["front_desk"], third, starts_at=third.starts_at + dt.timedelta(hours=1),
                        reason="Patient's ride fell through")
    assert reasons(patient, staff["front_desk"]) == ()  # once is not yet a risk
    third.refresh_from_db()
    services.reschedule(staff["front_desk"], third, starts_at=third.starts_at + dt.timedelta(hours=1),
                        reason="Work shift")
    assert reasons(patient, staff["front_desk"]) == ("dose 3 moved twice",)
    assert series_progress(patient).moved == 2


def test_a_long_gap_flags_the_patient_with_the_protocols_limit(staff, induction, clinic_clock):
    patient, doses = induction(last_name="Longgap")
    for dose in doses[1:5]:
        services.cancel(staff["front_desk"], dose, reason="Away for a week")
    clinic_clock.move_to("2026-12-16T10:00")
    given(doses[0])
    assert reasons(patient, staff["prescriber"]) == (
        "9 days since the last infusion; the protocol allows at most 4",
    )
    progress = series_progress(patient)
    assert (progress.done, progress.cancelled, progress.max_gap_days) == (1, 4, 4)


@pytest.fixture
def flagged(staff, induction, clinic_clock):
    """A patient whose second infusion was missed, and one on track; the clock on Thu 10 Dec."""
    patient, doses = induction(last_name="Atrisk", phone="(202) 555-0190")
    fine, fine_doses = induction(last_name="Fine")
    clinic_clock.move_to("2026-12-10T12:00")
    given(doses[0], fine_doses[0], fine_doses[1])
    Appointment.objects.filter(pk=doses[1].pk).update(status="no_show")
    return patient, fine


def test_the_desks_panel_shows_the_series_at_risk(staff, client_as, flagged):
    patient, fine = flagged
    page = client_as(staff["front_desk"]).get(PANEL).content.decode()
    section = page.split('id="series-at-risk"')[1]
    assert "Atrisk" in section and "Missed visit on Wed 9 Dec" in section
    assert "1 of 6 done, last 3 days ago" in section
    assert f'href="/schedule/patient/{patient.pk}/"' in section and 'href="tel:(202) 555-0190"' in section
    assert "Fine" not in section


def test_the_prescribers_work_list_shows_the_series_at_risk(staff, client_as, flagged):
    patient, fine = flagged
    page = client_as(staff["prescriber"]).get("/followup/").content.decode()
    section = page.split('id="series-at-risk"')[1].split("</section>")[0]
    assert "Atrisk" in section and "Missed visit on Wed 9 Dec" in section and "1 of 6 done" in section
    assert "Fine" not in section
    panel = client_as(staff["prescriber"]).get("/followup/panel/")
    assert panel.context["counts"]["series_at_risk"] == 1


def test_those_who_may_not_open_the_patient_do_not_see_the_flag(staff, client_as, flagged):
    patient, _fine = flagged
    assert at_risk_patients(staff["other_prescriber"]) == []
    page = client_as(staff["other_prescriber"]).get("/followup/").content.decode()
    assert "Atrisk" not in page
    assert client_as(staff["other_prescriber"]).get(f"/api/schedule/patient/{patient.pk}/series").status_code == 404
    assert client_as(staff["other_nurse"]).get(f"/api/schedule/patient/{patient.pk}/series").status_code == 404


def test_the_schedule_page_says_where_the_series_is(staff, client_as, flagged):
    patient, fine = flagged
    page = client_as(staff["prescriber"]).get(f"/schedule/patient/{patient.pk}/").content.decode()
    assert "Induction: 1 of 6 done, last 3 days ago" in page and "Missed visit on Wed 9 Dec" in page
    calm = client_as(staff["prescriber"]).get(f"/schedule/patient/{fine.pk}/").content.decode()
    assert "Induction: 2 of 6 done, last yesterday" in calm and "Series at risk" not in calm


def test_the_api_gives_the_series_and_its_reasons(staff, client_as, flagged, make_patient):
    patient, fine = flagged
    client = client_as(staff["prescriber"])
    body = client.get(f"/api/schedule/patient/{patient.pk}/series").json()
    assert body["plan_id"] == patient.treatment_plans.current().pk
    assert (body["done"], body["total"], body["missed"], body["at_risk"]) == (1, 6, 1, True)
    assert body["at_risk_reasons"] == ["missed visit on Wed 9 Dec"]
    assert body["next_booked_dose"] == 3
    assert client.get(f"/api/schedule/patient/{fine.pk}/series").json()["at_risk_reasons"] == []
    no_plan = make_patient(care_team=[staff["prescriber"]])
    answer = client.get(f"/api/schedule/patient/{no_plan.pk}/series")
    assert answer.status_code == 404 and "no active treatment plan" in answer.json()["detail"]


def test_the_work_list_query_count_does_not_grow_with_patients(staff, induction, clinic_clock):
    def add(n):
        for _ in range(n):
            _patient, doses = induction()
            Appointment.objects.filter(pk=doses[0].pk).update(status="no_show")

    add(2)
    now = timezone.make_aware(dt.datetime(2026, 12, 8, 12, 0))
    with CaptureQueriesContext(connection) as two:
        assert len(at_risk_patients(staff["prescriber"], now)) == 2
    add(3)
    with CaptureQueriesContext(connection) as five:
        assert len(at_risk_patients(staff["prescriber"], now)) == 5
    assert len(five) == len(two)
