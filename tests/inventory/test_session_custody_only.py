"""The generic ledger knows no dosing sessions (issue 14): a movement naming a session is recorded only through
the session's custody (ketamine_clinic.sessions.custody), which runs the care-team, ended-session and
still-to-give checks first. Calling the ledger directly with a session is refused; nothing is saved."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.core.inventory import Kind, Movement

PASSWORD = "demo-password-1"


def _count():
    from ketamine_clinic.inventory.models import LedgerEntry

    return LedgerEntry.objects.count()


@pytest.fixture
def own_session(make_patient, make_session, staff):
    return make_session(make_patient(care_team=[staff["nurse"]]))


def test_append_refuses_a_session_movement_without_the_sessions_custody(stocked, safe, staff, own_session):
    from ketamine_clinic.inventory import services

    before = _count()
    drawn = Movement(
        Kind.DRAWN, stocked.pk, 500_000, timezone.now(), staff["nurse"].pk, location=safe.pk, session=own_session.pk
    )
    with pytest.raises(ValidationError, match="through the session") as exc:
        services.append(drawn, actor=staff["nurse"])
    assert "session" in exc.value.message_dict
    other = services.SessionCustody(session_id=own_session.pk + 1000)  # leave for another session
    with pytest.raises(ValidationError, match="through the session"):
        services.append(drawn, actor=staff["nurse"], custody=other)
    with pytest.raises(TypeError):
        services.append(drawn, actor=staff["nurse"], custody=own_session.pk)
    assert _count() == before


def test_ledger_waste_and_other_movements_take_no_session(stocked, safe, staff, own_session):
    from ketamine_clinic.inventory import services

    with pytest.raises(TypeError):
        services.waste(actor=staff["nurse"], witness=staff["prescriber"], witness_password=PASSWORD, lot=stocked,
                       quantity_mcg=1000, reason="Remainder", session=own_session)
    with pytest.raises(TypeError):
        services.record_movement(actor=staff["nurse"], kind="returned", lot=stocked, quantity_mcg=1000,
                                 location=safe, session=own_session, reason="Back")


def test_the_custody_path_still_records_a_sessions_draw(stocked, safe, staff, own_session):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.sessions import custody

    entry = custody.draw(actor=staff["nurse"], session=own_session, lot=stocked, location=safe, quantity_mcg=500_000)
    assert entry.session_id == own_session.pk
    assert services.held_for_session(stocked.pk, own_session.pk) == 500_000


def test_no_inventory_module_imports_the_sessions_app():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("ketamine_clinic")
    found = [
        (m, i)
        for m in graph.modules
        if m.startswith("ketamine_clinic.inventory")
        for i in graph.find_modules_directly_imported_by(m)
        if i.startswith("ketamine_clinic.sessions")
    ]
    assert found == []
