"""A state machine that looks for side doors: random sequences of the real service calls (and a sample of API
calls) on patients, appointments, sessions, stock and measures, including the moves that must be refused, with
every invariant of ``ketamine-clinic verify`` asserted after every step.

Time runs on the machine's own clock: each step happens a random number of minutes after the previous one, from
six hours ago up to now (the services refuse clinical times in the future, so the clock never passes now).
"""

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

PASSWORD = "demo-password-1"
REFUSED = (ValidationError, PermissionDenied)


REACHED: set[str] = set()  # states the machine's sessions reached, across examples (the test is not vacuous)


def _clinic():
    """Staff, two eligible and consented patients (IV and intranasal plans, care teams), chairs and stock."""
    from ketamine_clinic.accounts.models import Role, User
    from ketamine_clinic.assessment import services as assessment
    from ketamine_clinic.assessment.models import IntakeAssessment
    from ketamine_clinic.demo.inventory import ensure_products
    from ketamine_clinic.inventory import services as inventory
    from ketamine_clinic.inventory.models import StorageLocation
    from ketamine_clinic.patients.models import CareTeamMember, Patient
    from ketamine_clinic.plans import services as plans
    from ketamine_clinic.scheduling.models import Chair

    def user(name, role):
        return User.objects.create_user(username=name, password=PASSWORD, role=role, first_name=name.title())

    staff = {
        "nurse": user("sm_nurse", Role.NURSE),
        "nurse2": user("sm_nurse2", Role.NURSE),
        "prescriber": user("sm_prescriber", Role.PRESCRIBER),
        "outsider": user("sm_outsider", Role.NURSE),  # on no care team
        "desk": user("sm_desk", Role.FRONT_DESK),
    }
    products = ensure_products()
    safe = StorageLocation.objects.create(name="SM safe")
    expires = timezone.localdate() + dt.timedelta(days=200)
    start = timezone.now() - dt.timedelta(hours=12)
    lots = {}
    for route, key, n in (("iv", "ketamine-50-10", 8), ("intranasal", "esketamine-28", 12)):
        entry = inventory.receive(
            actor=staff["nurse"], product=products[key], lot_number=f"SM-{key}", expires_on=expires,
            location=safe, containers=n, supplier="Synthetic", invoice=f"SM-{key}", occurred_at=start, now=start,
        )
        lots[route] = entry.lot
    patients = {}
    for i, route in enumerate(("iv", "intranasal")):
        p = Patient.objects.create(
            mrn=f"SM{i}", first_name=f"Sm{i}", last_name="Synthetic", date_of_birth=dt.date(1980, 1, 1),
            sex="male", weight_kg=Decimal("70"), weight_measured_on=timezone.localdate(),
        )
        for member in (staff["prescriber"], staff["nurse"], staff["nurse2"]):
            CareTeamMember.objects.create(patient=p, user=member, is_primary=True)
        # Assessment through its services: intake screened against the chart, the decision, the consent.
        intake = IntakeAssessment(patient=p, presenting_problem="Treatment-resistant depression")
        screening = assessment.save_intake(staff["prescriber"], intake, created=True)
        assessment.record_decision(
            staff["prescriber"], p, screening=screening, decision="proceed", rationale="Eligible",
            override_reason="Synthetic test patient: resistance history reviewed",
        )
        doc = assessment.current_consent_document(route) or assessment.publish_consent_document(
            staff["prescriber"], route=route, title="Consent", body="Synthetic",
            published_at=timezone.now() - dt.timedelta(days=1),
        )
        assessment.acknowledge_consent(staff["prescriber"], p, document=doc, typed_name=p.full_name)
        plans.record_pdmp_check(staff["prescriber"], p, checked_on=timezone.localdate(), state="NY",
                                result="no_concerns")
        key = "esketamine_label" if route == "intranasal" else "iv_racemic_standard"
        plans.create_plan(staff["prescriber"], p, protocol_key=key, start_date=timezone.localdate())
        patients[route] = p
    chairs = {
        "iv": Chair.objects.create(name="SM infusion chair", chair_type="infusion"),
        "intranasal": Chair.objects.create(name="SM recliner", chair_type="recliner"),
    }
    return staff, patients, lots, chairs, safe


class SideDoors(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.staff, self.patients, self.lots, self.chairs, self.safe = _clinic()
        self.clock = timezone.now() - dt.timedelta(hours=10)
        self.sessions = []

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ------------------------------------------------------------------------------------------- helpers
    def tick(self, minutes):
        self.clock = min(self.clock + dt.timedelta(minutes=minutes), timezone.now())
        return self.clock

    def attempt(self, fn, *args, **kwargs):
        try:
            with transaction.atomic():
                return fn(*args, **kwargs)
        except REFUSED:
            return None

    def session_at(self, i):
        from ketamine_clinic.sessions.models import DosingSession

        s = self.sessions[i % len(self.sessions)]
        return DosingSession.objects.get(pk=s.pk)

    # --------------------------------------------------------------------------------------------- rules
    @initialize()
    def start(self):
        pass

    @rule(route=st.sampled_from(["iv", "intranasal"]), chair_ok=st.booleans(), who=st.sampled_from(
        ["nurse", "desk", "nurse2"]), minutes=st.integers(0, 30))
    def book_session(self, route, chair_ok, who, minutes):
        from ketamine_clinic.scheduling import services as scheduling
        from ketamine_clinic.sessions import services as sessions

        when = self.tick(minutes).replace(second=0, microsecond=0)
        chair = self.chairs[route] if chair_ok else self.chairs["iv" if route == "intranasal" else "intranasal"]

        def book():
            appt = scheduling.book_session_now(
                self.staff["nurse"], self.patients[route], route=route, chair=chair, staff=self.staff[who],
                starts_at=when,
            )
            return sessions.session_for_appointment(appt, user=self.staff["nurse"])[0]

        session = self.attempt(book)
        if session is not None:
            self.sessions.append(session)

    @precondition(lambda self: self.sessions)
    @rule(i=st.integers(0, 20), to=st.sampled_from(
        ["checked_in", "pre_dose_checks", "dosing", "monitoring", "ready_for_discharge", "discharged",
         "aborted", "stopped_early"]), minutes=st.integers(-30, 90), prescriber=st.booleans(),
        override=st.booleans(), delivered=st.sampled_from([None, "0", "5", "35", "1e308", "-3"]))
    def move(self, i, to, minutes, prescriber, override, delivered):
        from ketamine_clinic.sessions import services as sessions

        s = self.session_at(i)
        at = self.clock + dt.timedelta(minutes=minutes)  # may be in the past or the future: must be refused then
        if minutes > 0:
            at = self.tick(minutes)
        self.attempt(
            sessions.transition, s, to, user=self.staff["prescriber" if prescriber else "nurse"],
            version=s.version, reason="Patient asked to stop", override_reason="Reviewed" if override else "",
            delivered_mg=delivered, now=at,
        )

    @precondition(lambda self: self.sessions)
    @rule(i=st.integers(0, 20), sbp=st.integers(40, 300), minutes=st.integers(-120, 20), baseline=st.booleans())
    def reading(self, i, sbp, minutes, baseline):
        from ketamine_clinic.sessions import services as sessions

        s = self.session_at(i)
        self.attempt(
            sessions.record_reading, s, user=self.staff["nurse"], idempotency_key=f"r{len(self.sessions)}{sbp}{minutes}",
            values={"sbp": sbp, "dbp": 80, "hr": 70, "spo2": 98, "rr": 14}, is_baseline=baseline,
            taken_at=self.clock + dt.timedelta(minutes=minutes),
        )

    @precondition(lambda self: self.sessions)
    @rule(i=st.integers(0, 20), weight=st.sampled_from([None, 70, 0, 400]), fasted=st.booleans())
    def pre_dose(self, i, weight, fasted):
        from ketamine_clinic.sessions import services as sessions

        s = self.session_at(i)
        self.attempt(
            sessions.save_pre_dose, s, {"weight_kg": weight, "fasting_confirmed": fasted, "escort_confirmed": True},
            user=self.staff["nurse"], version=s.version, now=self.tick(1),
        )

    @precondition(lambda self: self.sessions)
    @rule(i=st.integers(0, 20), item9=st.integers(0, 3), cssrs_positive=st.booleans())
    def measures(self, i, item9, cssrs_positive):
        from ketamine_clinic.outcomes import services as outcomes

        s = self.session_at(i)
        at = self.tick(1)
        self.attempt(outcomes.record_measure_response, patient=s.patient, instrument="phq9",
                     answers=[1] * 8 + [item9], user=self.staff["nurse"], session=s, taken_at=at)
        self.attempt(outcomes.record_measure_response, patient=s.patient, instrument="cssrs_screener",
                     answers=[1 if cssrs_positive else 0, 0, None, None, None, 0, None], user=self.staff["nurse"],
                     session=s, taken_at=at)

    @rule()
    def dispose_tasks(self):
        from ketamine_clinic.outcomes import services as outcomes
        from ketamine_clinic.outcomes.models import UrgentTask

        for task in UrgentTask.objects.filter(acknowledged_at__isnull=True):
            self.attempt(outcomes.acknowledge_task, task, user=self.staff["prescriber"],
                         action="Seen at the chair, safety plan reviewed")

    @precondition(lambda self: self.sessions)
    @rule(i=st.integers(0, 20), dose=st.sampled_from(["0", "-1", "35", "56", "90", "1e308", "abc"]),
          lot=st.sampled_from(["right", "other", "none", "missing"]),
          checker=st.sampled_from(["prescriber", "nurse", "desk", "wrong_password", "none"]), api=st.booleans())
    def confirm_dose(self, i, dose, lot, checker, api):
        from ketamine_clinic.sessions import services as sessions

        s = self.session_at(i)
        lot_id = {"right": self.lots[s.route].pk, "other": self.lots["iv" if s.route != "iv" else "intranasal"].pk,
                  "none": None, "missing": 999_999}[lot]
        second = None if checker in ("none",) else self.staff["prescriber" if checker == "wrong_password" else checker]
        password = "wrong" if checker == "wrong_password" else PASSWORD
        at = self.tick(1)
        if api:
            client = Client()
            client.force_login(self.staff["nurse"])
            body = {"dose_mg": dose, "version": s.version, "lot_id": lot_id,
                    "second_checker_id": second.pk if second else None, "second_checker_password": password}
            response = client.post(f"/api/sessions/{s.pk}/dose", json.dumps(body), content_type="application/json")
            assert response.status_code < 500, response.content
            return
        self.attempt(sessions.record_dose, s, dose_mg=dose, user=self.staff["nurse"], lot_id=lot_id,
                     second_checker=second, second_checker_password=password, expected_version=s.version, now=at)

    @precondition(lambda self: self.sessions)
    @rule(i=st.integers(0, 20), mg=st.sampled_from([0, -5, 100, 500, 10**9]), who=st.sampled_from(["nurse", "outsider"]))
    def draw(self, i, mg, who):
        from ketamine_clinic.sessions import custody

        s = self.session_at(i)
        self.attempt(custody.draw, actor=self.staff[who], session=s, lot=self.lots[s.route], location=self.safe,
                     quantity_mcg=mg * 1000, now=self.tick(1))

    @precondition(lambda self: self.sessions)
    @rule(i=st.integers(0, 20), fraction=st.sampled_from([0.25, 1.0, 2.0]))
    def waste_remainder(self, i, fraction):
        from ketamine_clinic.inventory import services as inventory
        from ketamine_clinic.sessions import custody

        s = self.session_at(i)
        lot = self.lots[s.route]
        held = inventory.held_for_session(lot.pk, s.pk)
        if held <= 0:
            return
        self.attempt(custody.waste, actor=self.staff["nurse"], witness=self.staff["nurse2"],
                     witness_password=PASSWORD, lot=lot, quantity_mcg=int(held * fraction), reason="Remainder",
                     session=s, now=self.tick(1))

    @precondition(lambda self: self.sessions)
    @rule(i=st.integers(0, 20), minutes=st.integers(1, 70), steps=st.integers(1, 4))
    def walk_forward(self, i, minutes, steps):
        """The next few steps done right (so the machine also reaches dosing, observation and discharge)."""
        for _ in range(steps):
            self.forward_once(i, minutes)

    def forward_once(self, i, minutes):
        from ketamine_clinic.core.administration.states import FORWARD, SessionState
        from ketamine_clinic.sessions import services as sessions

        s = self.session_at(i)
        state = SessionState(s.state)
        if state is SessionState.PRE_DOSE_CHECKS and s.dose_mg is None:
            at = self.tick(1)
            self.attempt(sessions.record_reading, s, user=self.staff["nurse"], idempotency_key=f"b{s.pk}",
                         values={"sbp": 120, "dbp": 78, "hr": 70, "spo2": 98, "rr": 14}, is_baseline=True,
                         taken_at=at)
            self.pre_dose(i, 70, True)
            self.measures(i, 0, False)
            dose = 35 if s.route == "iv" else 56
            s = self.session_at(i)
            self.attempt(sessions.record_dose, s, dose_mg=dose, user=self.staff["nurse"],
                         lot_id=self.lots[s.route].pk, second_checker=self.staff["prescriber"],
                         second_checker_password=PASSWORD, expected_version=s.version, now=self.tick(1))
            return
        if state is SessionState.READY_FOR_DISCHARGE:
            self.attempt(sessions.save_discharge_checklist, s, {"alert_and_oriented": True, "steady_gait": True,
                         "nausea_controlled": True, "escort_present": True}, user=self.staff["nurse"])
            self.attempt(sessions.record_reading, s, user=self.staff["nurse"], idempotency_key=f"d{s.pk}{minutes}",
                         values={"sbp": 122, "dbp": 78, "hr": 70, "spo2": 98, "rr": 14}, taken_at=self.tick(1))
        options = FORWARD.get(state)
        if not options:
            return
        if state is SessionState.DOSING:
            minutes += 40  # let the 40-min infusion run (ending long before it needs the amount delivered)
        if state is SessionState.MONITORING:
            from ketamine_clinic.core.protocols.routes import rules_for

            minutes += rules_for(s.route).min_observation_min - 30  # sometimes too early, mostly not
        moved = self.attempt(sessions.transition, s, options[0].value, user=self.staff["nurse"], version=s.version,
                             now=self.tick(minutes))
        if moved is not None:
            REACHED.add(moved.state)

    @invariant()
    def every_invariant_holds(self):
        from ketamine_clinic.invariants import all_violations

        found = all_violations()
        assert not found, "\n".join(map(str, found))


def test_no_sequence_of_service_calls_breaks_an_invariant(db, clinic_clock):
    # The walk's day runs from ten hours before "now" up to now: end it at the clinic's closing time (Tuesday
    # 18:00), so the whole day is bookable. Ending at the suite's usual 10:00 left eight closed hours first, and
    # whether any example got past them was up to chance.
    clinic_clock.move_to("2026-12-01T18:00")
    SideDoors.TestCase.settings = settings(
        max_examples=15, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    from hypothesis.stateful import run_state_machine_as_test

    REACHED.clear()
    run_state_machine_as_test(SideDoors, settings=SideDoors.TestCase.settings)
    # The walk got past the gates that matter at least once (else the invariants were only checked on empty days).
    assert {"dosing", "monitoring", "ready_for_discharge"} <= REACHED, REACHED


def test_the_machine_would_notice_a_side_door(db):
    """The invariant is not vacuous: a dose written around the services (no lot, one signature) is caught."""
    from ketamine_clinic.invariants import all_violations

    staff, patients, lots, chairs, safe = _clinic()
    from ketamine_clinic.sessions.models import DosingSession

    DosingSession.objects.create(
        patient=patients["iv"], route="iv", scheduled_for=timezone.now(), state="monitoring",
        dose_mg=Decimal("35"), dose_confirmed_by=staff["nurse"], dosing_started_at=timezone.now(),
        dose_rule=dataclasses.asdict(patients["iv"].treatment_plans.get().dose_rule()),
    )
    messages = " ".join(v.message for v in all_violations())
    assert "no stock lot" in messages and "two-person check" in messages and "no appointment" in messages
    assert "without scored pre-dose measures" in messages
