"""The staff dashboard offers each role only the panels it may load (the front desk's sat at "Loading…")."""

import re

import pytest


def _panel_urls(html: str) -> list[str]:
    return re.findall(r'class="panel" hx-get="([^"]+)"', html)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["director", "prescriber", "nurse", "therapist", "front_desk"])
def test_every_panel_on_the_dashboard_loads_for_the_role(role, staff, client_as):
    client = client_as(staff[role])
    html = client.get("/patients/dashboard/").content.decode()
    for url in _panel_urls(html):
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, (role, url, response.status_code)


@pytest.mark.django_db
def test_front_desk_dashboard_has_its_day_not_clinical_panels_and_points_to_the_schedule(staff, client_as):
    html = client_as(staff["front_desk"]).get("/patients/dashboard/").content.decode()
    assert _panel_urls(html) == ["/schedule/arrivals/panel/"]
    assert 'href="/schedule/day/"' in html


@pytest.mark.django_db
def test_clinical_staff_still_get_the_clinical_panels(staff, client_as):
    html = client_as(staff["nurse"]).get("/patients/dashboard/").content.decode()
    assert "/outcomes/urgent-tasks/panel/" in _panel_urls(html)
    assert "/followup/panel/" in _panel_urls(html)
