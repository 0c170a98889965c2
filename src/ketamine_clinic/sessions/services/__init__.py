"""What happens to a dosing session, in one place for pages, API, CLI and seeding.

Rules that protect the record:
- State changes and edits of the session row carry the ``version`` they were based on; a stale version is
  refused with :class:`StaleSession` (HTTP 409) so two staff never silently overwrite each other. The row is
  locked (``select_for_update``) while the check and the write happen.
- Flowsheet entries (vitals, side effects, interventions, observations, dissociation scores) are appended with
  a client-generated idempotency key, unique per session: a retried submission returns the row already saved.
- Clinical limits (pre-dose gate, plan dose limits, discharge criteria) stop the action; only a prescriber may
  override, with a written reason, and the override is audited as "override".

One module per job: :mod:`.booking` (the session of a booked appointment), :mod:`.dosing` (order, dose plan,
confirmed dose and its draw, lot choices), :mod:`.flowsheet` (readings, entries, alerts, next vitals due),
:mod:`.checks` (pre-dose and discharge checks), :mod:`.states` (state changes, as a table of target states),
:mod:`.note` (compose, generate, sign, amend), :mod:`.rems` (the SPRAVATO REMS Patient Monitoring Form:
filled from the record, answered, frozen at signing, submitted; used as ``services.rems``), :mod:`.common` (version lock, clock). Callers keep using
``from ketamine_clinic.sessions import services; services.transition(...)``: the public names are here.
"""

from .booking import session_for_appointment
from .checks import (
    PRE_DOSE_FIELDS,
    SUICIDE_FLAGS,
    discharge_result,
    open_suicide_tasks,
    pre_dose_checks,
    pre_dose_measures,
    pre_dose_result,
    save_discharge_checklist,
    save_pre_dose,
)
from .common import StaleSession
from .dosing import (
    dose_calculation_of,
    dose_plan_for,
    dose_rule_for,
    lot_choices,
    plan_for_route,
    record_dose,
)
from .flowsheet import (
    VITAL_FIELDS,
    acknowledge_alert,
    active_alerts,
    add_entry,
    baseline_reading,
    next_due,
    readings,
    record_reading,
    vitals_of,
)
from .note import amend_note, compose_note, generate_note, sign_note
from .states import TARGETS, held_remainder_mg, transition

__all__ = [
    "PRE_DOSE_FIELDS",
    "SUICIDE_FLAGS",
    "TARGETS",
    "VITAL_FIELDS",
    "StaleSession",
    "acknowledge_alert",
    "active_alerts",
    "add_entry",
    "amend_note",
    "baseline_reading",
    "compose_note",
    "discharge_result",
    "dose_calculation_of",
    "dose_plan_for",
    "dose_rule_for",
    "generate_note",
    "held_remainder_mg",
    "lot_choices",
    "next_due",
    "open_suicide_tasks",
    "plan_for_route",
    "pre_dose_checks",
    "pre_dose_measures",
    "pre_dose_result",
    "readings",
    "record_dose",
    "record_reading",
    "save_discharge_checklist",
    "save_pre_dose",
    "session_for_appointment",
    "sign_note",
    "transition",
    "vitals_of",
]
