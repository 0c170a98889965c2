"""The flowsheet's actions are named as actions, and a blocked one says why: disabled, with the reason beside it,
for whoever cannot pass the gate; offered as "Override and start dosing" with a reason field to a prescriber;
and disabled for everyone while a hold (an open suicide-risk task) stands, which no override passes."""

import re

import pytest

from ketamine_clinic.core.administration.states import SessionState, action_label
from ketamine_clinic.sessions import services


def test_each_move_has_the_words_of_an_action():
    assert action_label(SessionState.CHECKED_IN, SessionState.SCHEDULED) == "Check in"
    assert action_label(SessionState.DOSING, SessionState.PRE_DOSE_CHECKS) == "Start dosing"
    assert action_label(SessionState.MONITORING, SessionState.DOSING) == "End dosing, start observation"
    assert action_label(SessionState.MONITORING, SessionState.READY_FOR_DISCHARGE) == "Back to observation"
    assert action_label(SessionState.DISCHARGED, SessionState.READY_FOR_DISCHARGE) == "Discharge"
    assert action_label(SessionState.ABORTED) == "Abort: no drug given"


def _actions(page):
    """The state actions' part of the flowsheet (other forms, e.g. the dose's hard-limit override, are elsewhere)."""
    start = page.index('id="state-actions"')
    return page[start: page.index("</section>", start)]


def _button(page, move):
    match = re.search(rf'<button[^>]*data-move="{move}"[^>]*>([^<]*)</button>', page)
    assert match, f"no {move} button"
    return match.group(0), match.group(1)


@pytest.fixture
def at_pre_dose(iv_session, staff):
    for target in ("checked_in", "pre_dose_checks"):
        iv_session = services.transition(iv_session, target, user=staff["nurse"], version=iv_session.version)
    return iv_session


@pytest.mark.django_db
def test_a_blocked_start_is_disabled_for_the_nurse_with_the_reason(at_pre_dose, staff, client_as):
    page = client_as(staff["nurse"]).get(f"/sessions/{at_pre_dose.pk}/").content.decode()
    tag, words = _button(page, "dosing")
    assert words == "Start dosing" and " disabled" in tag and 'aria-describedby="why-dosing"' in tag
    assert re.search(r'id="why-dosing"[^>]*>Not yet: [^<]+', page)
    assert 'name="override_reason"' not in _actions(page)


@pytest.mark.django_db
def test_a_prescriber_is_offered_the_override_with_a_reason(at_pre_dose, staff, client_as):
    page = client_as(staff["prescriber"]).get(f"/sessions/{at_pre_dose.pk}/").content.decode()
    tag, words = _button(page, "dosing")
    assert words == "Override and start dosing" and " disabled" not in tag
    assert 'name="override_reason"' in _actions(page) and "a prescriber may override" in page


@pytest.mark.django_db
def test_an_open_suicide_risk_task_disables_the_start_for_everyone(at_pre_dose, staff, client_as):
    from ketamine_clinic.outcomes import services as outcomes

    outcomes.record_measure_response(patient=at_pre_dose.patient, instrument="phq9", answers=[0] * 8 + [2],
                                   user=staff["nurse"])
    page = client_as(staff["prescriber"]).get(f"/sessions/{at_pre_dose.pk}/").content.decode()
    tag, words = _button(page, "dosing")
    assert " disabled" in tag and words == "Start dosing"
    assert 'name="override_reason"' not in _actions(page)
