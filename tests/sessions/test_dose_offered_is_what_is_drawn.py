"""The flowsheet offers, for confirmation, the dose the drawn volume holds: a 0.5 mg/kg order for 84.2 kg is
42.10 mg, but the syringe is drawn to 0.01 mL (0.84 mL of 50 mg/mL holds 42.00 mg), and the ledger counts what
was drawn. Offering 42.1 made the confirmed dose, the draw-up line and the ledger disagree by 0.1 mg."""

import re

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_the_dose_offered_is_what_the_drawn_volume_holds(iv_session, staff, client_as, helpers):
    from ketamine_clinic.sessions import services

    session = helpers.ready_pre_dose(iv_session, staff["nurse"])
    session.refresh_from_db()
    services.save_pre_dose(
        session, {"weight_kg": 84.2, "fasting_confirmed": True, "escort_confirmed": True, "escort_name": "Sam"},
        user=staff["nurse"], version=session.version,
    )
    page = client_as(staff["nurse"]).get(reverse("sessions:flowsheet", args=[session.pk])).content.decode()
    assert "Draw up</th><td>0.84 mL (holds 42.00 mg)" in page
    offered = re.search(r'name="dose_mg"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="dose_mg"', page)
    assert offered is not None
    assert float(offered.group(1)) == 42.0
