"""The billing page: who may open it, the table, the CSV download, and bad dates (named, kept, never a 500)."""

import csv
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.billing import services

URL = reverse("billing:sessions")


def today():
    return timezone.localdate().isoformat()


@pytest.mark.parametrize(("role", "status"), [("director", 200), ("prescriber", 200), ("front_desk", 200),
                                              ("nurse", 403), ("therapist", 403)])
def test_page_by_role(staff, client_as, role, status):
    assert client_as(staff[role]).get(URL).status_code == status


def test_patient_and_anonymous_are_refused(staff, client_as, make_patient, client):
    patient = make_patient(care_team=[staff["prescriber"]], with_login=True)
    assert client_as(patient.user).get(URL).status_code == 403
    answer = client.get(URL)
    assert answer.status_code == 302 and reverse("login") in answer["Location"]


def test_billing_is_in_the_menu_for_billing_roles_only(staff, client_as):
    for role, shown in (("front_desk", True), ("prescriber", True), ("nurse", False), ("therapist", False)):
        page = client_as(staff[role]).get(reverse("home"), follow=True)
        assert page.status_code == 200 and (f'href="{URL}"' in page.content.decode()) is shown, role


def test_table_shows_the_sessions_with_codes(staff, client_as, completed_iv, aborted_session):
    body = client_as(staff["prescriber"]).get(URL, {"start": today(), "end": today()}).content.decode()
    patient = completed_iv.patient
    assert f"{patient.mrn} · {patient.last_name}, {patient.first_name}" in body
    assert "<strong>96365</strong>" in body and "<strong>J3490</strong>" in body and "50 min" in body
    assert "35 mg" in body and "none given" in body and "No drug was given" in body
    assert "<summary>Source</summary><small>AMA CPT" in body
    assert AuditEvent.objects.filter(user=staff["prescriber"], action="list",
                                     detail__export="billing codes").exists()


def test_default_range_is_this_month(staff, client_as, completed_iv):
    body = client_as(staff["director"]).get(URL).content.decode()
    assert f'value="{timezone.localdate().replace(day=1).isoformat()}"' in body and "<strong>96365</strong>" in body


def test_csv_download_has_the_same_rows(staff, client_as, completed_iv, aborted_session):
    answer = client_as(staff["front_desk"]).get(URL, {"start": today(), "end": today(), "format": "csv"})
    assert answer.status_code == 200 and answer["Content-Type"] == "text/csv"
    assert f"billing-codes-{today()}-{today()}.csv" in answer["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0] == services.HEADER
    by_session = {int(r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_session[completed_iv.pk]["codes"] == "96365 x1; J3490 x1"
    assert by_session[aborted_session.pk]["codes"] == ""
    event = AuditEvent.objects.filter(user=staff["front_desk"], action="export").latest("id")
    assert event.detail["via"] == "csv" and set(event.detail["sessions"]) == {completed_iv.pk, aborted_session.pk}


def test_page_offers_the_csv_link(staff, client_as, completed_iv):
    body = client_as(staff["director"]).get(URL, {"start": today(), "end": today()}).content.decode()
    assert f'href="?start={today()}&amp;end={today()}&amp;format=csv"' in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13-01", "end": "2026-12-01"}, "Give a day that exists, as YYYY-MM-DD"),
        ({"start": "yesterday", "end": ""}, "Give a date (YYYY-MM-DD)."),
        ({"start": "2026-12-02", "end": "2026-12-01"}, "The last day must not be before the first day."),
        ({"start": "2024-01-01", "end": "2026-12-01"}, "One export covers at most 366 days"),
    ],
)
def test_bad_dates_are_named_and_kept(staff, client_as, query, message):
    for extra in ({}, {"format": "csv"}):
        answer = client_as(staff["director"]).get(URL, {**query, **extra})
        body = answer.content.decode()
        assert answer.status_code == 200 and answer["Content-Type"].startswith("text/html")
        assert message in body and f'value="{query["start"]}"' in body
        assert 'id="billing-sessions"' not in body


def test_fragment_renders_one_sessions_lines(completed_iv, aborted_session):
    html = render_to_string("billing/_session_codes.html", {"billing_lines": services.codes_for(completed_iv)})
    assert "<strong>96365</strong>" in html and "IV infusion of 50 min" in html
    empty = render_to_string("billing/_session_codes.html", {"billing_lines": services.codes_for(aborted_session)})
    assert "No billing codes." in empty and "No drug was given" in empty


def test_the_ended_sessions_flowsheet_loads_its_codes(staff, client_as, completed_iv):
    from ketamine_clinic.sessions.models import DosingSession

    flowsheet = reverse("sessions:flowsheet", args=[completed_iv.pk])
    fragment = reverse("billing:session_codes", args=[completed_iv.pk])
    assert fragment in client_as(staff["prescriber"]).get(flowsheet).content.decode()
    assert fragment not in client_as(staff["nurse"]).get(flowsheet).content.decode()  # no billing for nurses
    codes = client_as(staff["prescriber"]).get(fragment)
    assert codes.status_code == 200 and "96365" in codes.content.decode()
    assert client_as(staff["nurse"]).get(fragment).status_code == 403
    assert AuditEvent.objects.filter(action="view", detail__billing_codes=completed_iv.pk).exists()
    assert DosingSession.objects.get(pk=completed_iv.pk).is_closed


def test_export_billing_command(staff, completed_iv, tmp_path, capsys):
    from ketamine_clinic.cli import main

    out = tmp_path / "billing.csv"
    assert main(["export", "billing", "--as", staff["front_desk"].username, "--start", today(), "--end", today(),
                 "-o", str(out)]) == 0
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert [r["session"] for r in rows] == [str(completed_iv.pk)] and "96365" in rows[0]["codes"]
    assert main(["export", "billing", "--as", staff["nurse"].username, "--start", today(), "--end", today()]) == 2
    assert main(["export", "billing", "--as", staff["front_desk"].username, "--start", "2020-01-01",
                 "--end", today()]) == 2
    assert "at most 366 days" in capsys.readouterr().err
