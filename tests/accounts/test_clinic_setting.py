"""The clinic setting (clinic.Site): one per install, the director keeps its details and records its SPRAVATO REMS
certification (service, page, API), audited; other staff read it."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.clinic import services
from ketamine_clinic.clinic.models import Site


@pytest.fixture
def site(staff):
    """The install's setting, not yet certified (the suite's fixtures certify it by default)."""
    row = services.current_site()
    row.rems_setting_id, row.rems_certified_on, row.rems_certified_by = "", None, None
    row.save()
    return row


@pytest.mark.django_db
def test_there_is_one_site_made_by_the_migration():
    assert Site.objects.count() == 1
    assert services.current_site().name == "ketamine-clinic" and services.current_site().address == ""
    assert services.current_site().pk == services.current_site().pk and Site.objects.count() == 1


@pytest.mark.django_db
def test_the_director_records_the_certification_audited(site, staff):
    assert not services.rems_certified()
    on = timezone.localdate() - dt.timedelta(days=10)
    services.record_rems_certification(staff["director"], site, " HCS-42 ", on)
    site.refresh_from_db()
    assert (site.rems_setting_id, site.rems_certified_on, site.rems_certified_by) == ("HCS-42", on, staff["director"])
    assert services.rems_certified()
    event = AuditEvent.objects.filter(action="update", object_type="clinic.Site", object_id=str(site.pk)).last()
    assert event.detail["rems_certification"]["setting_id"] == "HCS-42"


@pytest.mark.django_db
def test_a_future_or_missing_certification_date_is_refused(site, staff):
    for bad in (timezone.localdate() + dt.timedelta(days=1), None, "31/12/2026"):
        with pytest.raises(ValidationError) as err:
            services.record_rems_certification(staff["director"], site, "HCS-1", bad)
        assert "certified_on" in err.value.message_dict
    site.refresh_from_db()
    assert site.rems_certified_on is None


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["prescriber", "nurse", "front_desk", "therapist"])
def test_only_the_director_changes_the_setting(site, staff, role):
    with pytest.raises(PermissionDenied):
        services.record_rems_certification(staff[role], site, "HCS-1", timezone.localdate())
    with pytest.raises(PermissionDenied):
        services.update_site(staff[role], site, name="Elsewhere")
    site.refresh_from_db()
    assert site.rems_certified_on is None and site.name == "ketamine-clinic"


@pytest.mark.django_db
def test_update_site_changes_the_details_and_refuses_an_empty_name_or_a_bad_email(site, staff):
    services.update_site(staff["director"], site, name=" Riverside Clinic ", address="1 Main St\nTown",
                         email="desk@riverside.example")
    site.refresh_from_db()
    assert (site.name, site.address, site.email) == ("Riverside Clinic", "1 Main St\nTown", "desk@riverside.example")
    event = AuditEvent.objects.filter(action="update", object_type="clinic.Site").last()
    assert event.detail["changed"] == ["address", "email", "name"]
    with pytest.raises(ValidationError) as err:
        services.update_site(staff["director"], site, name="  ")
    assert "name" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.update_site(staff["director"], services.current_site(), email="not-an-email")
    assert "email" in err.value.message_dict
    assert services.current_site().email == "desk@riverside.example"


@pytest.mark.django_db
def test_the_page_saves_the_details_and_the_certification_and_keeps_a_refused_entry(site, staff, client_as):
    client = client_as(staff["director"])
    url = reverse("clinic:site")
    page = client.get(url).content.decode()
    assert "<h1>Clinic setting</h1>" in page and 'id="rems-not-certified"' in page
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    refused = client.post(url, {"form": "certification", "certification-setting_id": "HCS-9",
                                "certification-certified_on": tomorrow})
    text = refused.content.decode()
    assert refused.status_code == 400 and "cannot be dated in the future" in text
    assert 'value="HCS-9"' in text and f'value="{tomorrow}"' in text
    assert not services.rems_certified()
    done = client.post(url, {"form": "certification", "certification-setting_id": "HCS-9",
                             "certification-certified_on": timezone.localdate().isoformat()})
    assert done.status_code == 302 and services.rems_certified()
    refused = client.post(url, {"form": "details", "details-name": "", "details-address": "2 High St",
                                "details-phone": "", "details-email": ""})
    assert refused.status_code == 400 and "2 High St" in refused.content.decode()
    saved = client.post(url, {"form": "details", "details-name": "Riverside", "details-address": "2 High St",
                              "details-phone": "+1 212 555 0101", "details-email": ""})
    assert saved.status_code == 302
    assert services.current_site().name == "Riverside" and services.current_site().address == "2 High St"
    page = client.get(url).content.decode()
    assert 'id="rems-certified"' in page and "HCS-9" in page


@pytest.mark.django_db
def test_other_staff_read_the_page_without_its_forms_and_may_not_post(site, staff, client_as):
    nurse = client_as(staff["nurse"])
    page = nurse.get(reverse("clinic:site"))
    assert page.status_code == 200 and 'id="certification-form"' not in page.content.decode()
    posted = nurse.post(reverse("clinic:site"), {"form": "certification", "certification-setting_id": "X",
                                                 "certification-certified_on": timezone.localdate().isoformat()})
    assert posted.status_code == 403 and not services.rems_certified()
    assert client_as(staff["therapist"]).get(reverse("clinic:site")).status_code == 403


@pytest.mark.django_db
def test_the_directors_navigation_links_the_page(staff, client_as):
    home = client_as(staff["director"]).get(reverse("patients:list")).content.decode()
    assert reverse("clinic:site") in home


@pytest.mark.django_db
def test_the_api_reads_and_changes_the_setting(site, staff, client_as):
    client = client_as(staff["director"])
    assert client.get("/api/staff/site").json()["rems_certified"] is False
    bad = client.post("/api/staff/site", json.dumps({"name": "Riverside", "rems_certified_on": "2099-01-01"}),
                      content_type="application/json")
    assert bad.status_code == 422 and "certified_on" in bad.json()["detail"]
    assert services.current_site().name == "ketamine-clinic"  # the refused request changed nothing
    ok = client.post("/api/staff/site", json.dumps({"name": "Riverside", "rems_setting_id": "HCS-3",
                                                    "rems_certified_on": timezone.localdate().isoformat()}),
                     content_type="application/json")
    body = ok.json()
    assert ok.status_code == 200 and body["rems_certified"] is True and body["name"] == "Riverside"
    assert body["rems_setting_id"] == "HCS-3" and body["rems_certified_by_id"] == staff["director"].pk
    nurse = client_as(staff["nurse"])
    assert nurse.get("/api/staff/site").status_code == 200
    assert nurse.post("/api/staff/site", json.dumps({"name": "X"}), content_type="application/json").status_code \
        == 403
