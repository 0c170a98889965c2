"""PostgreSQL: two staff posting readings and state changes to one session at the same moment.

Each thread is its own client with its own database connection. Readings lose nothing and duplicate nothing
(retries carry the same idempotency key; the unique constraint settles races). State changes carry the
version they were based on; the row lock lets exactly one of two simultaneous changes win, the other gets 409.
"""

import json
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from second_factor import sign_in

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis"))

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL row locks and concurrent writers"),
    pytest.mark.django_db(transaction=True),
]


def run_together(workers):
    barrier = threading.Barrier(len(workers))
    results, lock = [], threading.Lock()

    def wrap(fn):
        try:
            barrier.wait()
            out = fn()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            out = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            results.append(out)

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def client_for(user):
    return sign_in(Client(), user)  # with the second factor where the role requires it


def test_two_nurses_post_readings_at_once_nothing_lost_nothing_duplicated(staff, iv_session, helpers):
    from ketamine_clinic.sessions.models import VitalsReading

    helpers.start_dosing(iv_session, staff["nurse"])
    url = f"/api/sessions/{iv_session.pk}/readings"
    clients = {"a": client_for(staff["nurse"]), "b": client_for(staff["prescriber"])}

    def poster(name):
        def go():
            codes = []
            for i in range(8):
                # Own readings, each sent twice (a retry), plus a shared key both post (the same tablet retried
                # through two connections): all must collapse to one row per key.
                for key in (f"{name}-{i}", f"{name}-{i}", f"shared-{i}"):
                    body = {"idempotency_key": key, "sbp": 120 + i, "dbp": 80, "hr": 70 + i}
                    r = clients[name].post(url, json.dumps(body), content_type="application/json")
                    codes.append(r.status_code)
            return codes

        return go

    results = run_together([poster("a"), poster("b")])
    assert all(isinstance(r, list) for r in results), results
    assert all(code in (200, 201) for codes in results for code in codes), results
    keys = list(
        VitalsReading.objects.filter(session=iv_session, is_baseline=False).values_list(
            "idempotency_key", flat=True
        )
    )
    expected = {f"{n}-{i}" for n in "ab" for i in range(8)} | {f"shared-{i}" for i in range(8)}
    assert sorted(keys) == sorted(expected)  # every key once: nothing lost, nothing duplicated
    created = sum(codes.count(201) for codes in results)
    assert created == len(expected)


def test_simultaneous_state_changes_one_wins_other_gets_409(staff, iv_session):
    from ketamine_clinic.sessions.models import DosingSession, SessionEvent

    url = f"/api/sessions/{iv_session.pk}/transitions"
    nurse, prescriber = client_for(staff["nurse"]), client_for(staff["prescriber"])

    def change(client, target, extra=None):
        def go():
            body = {"target": target, "version": 1, **(extra or {})}
            return client.post(url, json.dumps(body), content_type="application/json").status_code

        return go

    codes = run_together([change(nurse, "checked_in"), change(prescriber, "aborted", {"reason": "no show"})])
    assert sorted(codes) == [200, 409], codes
    session = DosingSession.objects.get(pk=iv_session.pk)
    assert session.version == 2 and session.state in ("checked_in", "aborted")
    assert SessionEvent.objects.filter(session=session).count() == 1


def test_readings_and_state_change_together_both_kept(staff, iv_session, helpers):
    import datetime as dt

    from django.utils import timezone

    from ketamine_clinic.sessions.models import DosingSession, VitalsReading

    # The 40-min infusion began 50 minutes ago, so ending it now needs no delivered figure.
    helpers.start_dosing(iv_session, staff["nurse"], at=timezone.now() - dt.timedelta(minutes=60))
    version = DosingSession.objects.get(pk=iv_session.pk).version
    nurse, prescriber = client_for(staff["nurse"]), client_for(staff["prescriber"])

    def readings():
        return [
            nurse.post(
                f"/api/sessions/{iv_session.pk}/readings",
                json.dumps({"idempotency_key": f"m{i}", "sbp": 125, "dbp": 80}),
                content_type="application/json",
            ).status_code
            for i in range(6)
        ]

    def move():
        return prescriber.post(
            f"/api/sessions/{iv_session.pk}/transitions",
            json.dumps({"target": "monitoring", "version": version}),
            content_type="application/json",
        ).status_code

    results = run_together([readings, move])
    assert 200 in results and [201] * 6 in results, results
    assert VitalsReading.objects.filter(session=iv_session, idempotency_key__startswith="m").count() == 6
    assert DosingSession.objects.get(pk=iv_session.pk).state == "monitoring"
