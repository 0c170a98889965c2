"""The demo clinic: follow-up and portal seeds are idempotent, and the dashboard matches a hand computation
done row by row in Python over the seeded data (independent of the SQL aggregates it checks)."""

from collections import Counter

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    from ketamine_clinic.demo.clinic import seed

    return seed()


def counts():
    from ketamine_clinic.followup.models import BoosterSuggestion, IntegrationNote
    from ketamine_clinic.portal.models import JournalEntry, Message

    return tuple(m.objects.count() for m in (IntegrationNote, BoosterSuggestion, JournalEntry, Message))


def test_seed_is_idempotent_and_dashboard_matches_hand_computation(demo):
    from ketamine_clinic.demo.clinic import seed
    from ketamine_clinic.portal.models import JournalEntry, Message

    before = counts()
    notes, _, entries, messages = before
    assert notes > 0 and entries > 0 and messages > 0
    assert (
        JournalEntry.objects.filter(shared=True).exists()
        and JournalEntry.objects.filter(shared=False).exists()
    )
    assert Message.objects.unread_from_patients().exists()
    seed()
    assert counts() == before
    # One demo build serves both checks (seeding takes a while).
    check_dashboard_matches_row_by_row_computation()


def _by_hand():
    """Per-patient computation in plain Python, mirroring the dashboard's definitions."""
    from ketamine_clinic.core.instruments.library import get
    from ketamine_clinic.followup.queries import CONDITIONS, INDUCTION_DOSES, OTHER_CONDITION
    from ketamine_clinic.followup.services import DOSED_STATES
    from ketamine_clinic.outcomes.models import MeasureResponse
    from ketamine_clinic.patients.models import Patient
    from ketamine_clinic.sessions.models import DosingSession

    rows = []
    for p in Patient.objects.all():
        dx = p.diagnoses.order_by("-is_primary", "id").first()
        code = dx.icd10_code if dx else ""
        condition, instrument = next(
            ((c, k) for prefix, c, k in CONDITIONS if code.startswith(prefix)), OTHER_CONDITION
        )
        doses = list(
            DosingSession.objects.filter(patient=p, state__in=DOSED_STATES).order_by("scheduled_for", "id")
        )
        scores = list(
            MeasureResponse.objects.filter(patient=p, instrument=instrument, total__isnull=False).order_by(
                "taken_at"
            )
        )
        if not doses:
            continue
        first = doses[0].scheduled_for
        pre = [s for s in scores if s.taken_at <= first]
        if not pre or pre[-1].total <= 0:
            continue
        baseline = pre[-1].total
        line = baseline * 0.5
        row = {"condition": condition, "route": doses[0].route, "instrument": instrument}
        responding = [s for s in scores if s.taken_at > first and s.total <= line]
        row["first_response"] = responding[0].taken_at if responding else None
        row["days_to_response"] = (
            (responding[0].taken_at - first).total_seconds() / 86400 if responding else None
        )
        if responding:
            later = [s for s in scores if s.taken_at > responding[0].taken_at and s.total > line]
            row["relapse_days"] = (
                (later[0].taken_at - responding[0].taken_at).total_seconds() / 86400 if later else None
            )
        if len(doses) >= INDUCTION_DOSES:
            after = [s for s in scores if s.taken_at > doses[INDUCTION_DOSES - 1].scheduled_for]
            if after:
                cut = get(instrument).remission_max
                row["post"] = after[0].total
                row["responded"] = after[0].total <= line
                row["remitted"] = cut is not None and after[0].total <= cut
                row["remission_defined"] = cut is not None
        rows.append(row)
    return rows


def check_dashboard_matches_row_by_row_computation():
    from ketamine_clinic.followup.queries import dashboard_figures
    from ketamine_clinic.patients.models import Patient
    from ketamine_clinic.sessions.models import DosingSession, SideEffect, VitalsReading

    f = dashboard_figures()
    rows = _by_hand()
    phase_counts = Counter(Patient.objects.values_list("phase", flat=True))
    assert dict(f["phases"]) == {
        label: phase_counts.get(value, 0) for value, label in Patient._meta.get_field("phase").choices
    }
    evaluable = [r for r in rows if "post" in r]
    assert f["overall"]["n"] == len(evaluable)
    assert f["overall"]["responders"] == sum(r["responded"] for r in evaluable)
    assert f["overall"]["remission_n"] == sum(r["remission_defined"] for r in evaluable)
    assert f["overall"]["remitters"] == sum(r["remitted"] for r in evaluable)
    for key in ("route", "condition"):
        groups = Counter(r[key] for r in evaluable)
        got = {g["group"]: g for g in f[f"by_{key}"]}
        assert {k: v["n"] for k, v in got.items()} == dict(groups)
        for name in groups:
            assert got[name]["responders"] == sum(r["responded"] for r in evaluable if r[key] == name)
    responders = [r for r in rows if r["first_response"] is not None]
    assert f["responders_ever"] == len(responders)
    if responders:
        mean = sum(r["days_to_response"] for r in responders) / len(responders)
        assert f["mean_days_to_response"] == pytest.approx(mean, abs=0.051)
    relapses = [r["relapse_days"] for r in responders if r["relapse_days"] is not None]
    assert (f["relapsed"], f["sustained"]) == (len(relapses), len(responders) - len(relapses))
    if relapses:
        assert f["mean_days_response_to_relapse"] == pytest.approx(sum(relapses) / len(relapses), abs=0.051)
    dosed = [
        s.pk
        for s in DosingSession.objects.all()
        if s.state in ("dosing", "monitoring", "ready_for_discharge", "discharged", "stopped_early")
    ]
    assert f["sessions"] == len(dosed)
    assert f["adverse_events"] == sum(1 for e in SideEffect.objects.all() if e.session_id in dosed)
    assert f["alerts"] == sum(1 for v in VitalsReading.objects.all() if v.alerts and v.session_id in dosed)
