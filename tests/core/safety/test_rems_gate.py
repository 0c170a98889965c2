"""The SPRAVATO REMS gate's rule (core.safety.rems): only esketamine, the setting's certification and the patient's
enrolment each named, with the sources beside it."""

import pytest

from ketamine_clinic.core.protocols.routes import ROUTE_RULES
from ketamine_clinic.core.safety import rems


def test_esketamine_needs_both_records():
    assert rems.esketamine_gate_problems("intranasal", True, True) == []
    assert rems.esketamine_gate_problems("intranasal", False, True) == [rems.SETTING_NOT_CERTIFIED]
    only_patient = rems.esketamine_gate_problems("intranasal", True, False, patient_name="Ana Ruiz")
    assert only_patient == ["Ana Ruiz is not enrolled in the SPRAVATO REMS: record the enrolment before the first "
                            "esketamine session."]
    both = rems.esketamine_gate_problems("intranasal", False, False)
    assert len(both) == 2 and both[0].startswith("The clinic is not recorded as SPRAVATO REMS-certified")
    assert both[1].startswith("The patient is not enrolled")


@pytest.mark.parametrize("route", sorted(set(ROUTE_RULES) - {"intranasal"}) + [None, ""])
def test_other_routes_are_not_under_the_rems(route):
    assert rems.esketamine_gate_problems(route, False, False) == []


def test_the_rems_route_is_the_esketamine_row_of_the_route_table_and_the_rule_names_its_sources():
    assert rems.REMS_ROUTE == "intranasal" and "esketamine" in ROUTE_RULES[rems.REMS_ROUTE].product
    assert any("spravatorems.com" in s for s in rems.REMS_GATE_SOURCES)
    assert any("Prescribing Information" in s for s in rems.REMS_GATE_SOURCES)
