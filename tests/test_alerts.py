"""Early-warning alerts (tracker/protection/): a scenario of its own, with every alert it must
raise worked out by hand (and the near misses that must not), the acknowledgement, the page per
role and `tracker alerts`, on SQLite and PostgreSQL.

Dates count back from the day the test runs (the page and the command use today's date)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import incident_data
from tracker.errors import PermissionDenied, ServiceError
from tracker.extensions import db
from tracker.incidents.data import RequestData, VictimData
from tracker.incidents.service import change_status, create_incident
from tracker.models import AlertAcknowledgement, AuditEntry, Person
from tracker.protection import alerts

TODAY = date.today()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def defender(key: str, name: str, group: str = "environmental_defender") -> VictimData:
    return VictimData(group=group, gender="female", name=name, person=key)


FAMILY = VictimData(group="family_member", count=3, name="Familia Ficticia")


def add(users, days_ago: int, violations, victims, status="draft", requests=()):
    """An incident recorded by the monitor `days_ago` days back, taken to `status`."""
    incident = create_incident(
        incident_data(date=ago(days_ago), violations=list(violations), victims=list(victims), requests=list(requests)),
        users["monitor"],
    )
    if status != "draft":
        change_status(incident, "submitted", users["monitor"])
    if status == "verified":
        change_status(incident, "verified", users["reviewer"], "ok")
    if status == "rejected":
        change_status(incident, "rejected", users["reviewer"], "not an attack")
    return incident


def unkeyed(users, days_ago: int, requests, status="submitted"):
    return add(users, days_ago, ["harassment"], [VictimData(group="hrd")], status, requests)


@pytest.fixture
def scenario(app, users):
    """Who and what, and what each must raise:

    - Ana (DEF-A): harassed 200, 120 and 40 days ago (80 days apart): one `repeat` run of 3.
    - Berta (DEF-B): 300 and 209 days ago, 91 days apart: nothing.
    - Carla (DEF-C): 400 and 310 days ago, exactly 90 days apart: `repeat`.
    - Dora (DEF-D): 100 days ago (draft) and 80 days ago, the latter rejected: nothing.
    - Elena (DEF-E): threatened 500 days ago, harassed 300 days ago, attempted killing 200 days
      ago: `escalation` of the threat and the attack (100 and more days apart: no `repeat`).
    - Flor (DEF-F): assaulted 400 days ago, threatened 300 days ago (the threat after the
      attack, 100 days apart): nothing.
    - Gina (DEF-G): a journalist threatened and attacked in two incidents of one day, 700 days
      ago: `escalation`, and `repeat` (0 days apart).
    - Hilda (DEF-H): one incident with a threat and an assault: nothing (one incident).
    - Irene (DEF-I): threatened with her family 50 days ago: `family_threat`.
    - Julia (DEF-J): harassed with her family (no threat code): nothing.
    - an unkeyed threat against a family, and a rejected keyed one: nothing.
    - requests (on incidents naming no one, but for Karen, DEF-K): pending for 16 days
      (Karen's): `pending_request`; pending for 15 days, and for 40 on a rejected incident:
      nothing; granted with measures ending in 30 days and today: `measures_ending`; ending in
      31 days, yesterday, or with no end, and a refused one: nothing.
    """
    i = {}
    i["a1"] = add(users, 200, ["harassment"], [defender("DEF-A", "Ana Ficticia")], "verified")
    i["a2"] = add(users, 120, ["harassment"], [defender("def-a", "Ana Ficticia")])  # keys match in any case
    i["a3"] = add(users, 40, ["smear_campaign"], [defender("DEF-A", "Ana Ficticia")], "submitted")
    i["b1"] = add(users, 300, ["harassment"], [defender("DEF-B", "Berta Ficticia")])
    i["b2"] = add(users, 209, ["harassment"], [defender("DEF-B", "Berta Ficticia")])
    i["c1"] = add(users, 400, ["harassment"], [defender("DEF-C", "Carla Ficticia")])
    i["c2"] = add(users, 310, ["judicial_harassment"], [defender("DEF-C", "Carla Ficticia")])
    i["d1"] = add(users, 100, ["harassment"], [defender("DEF-D", "Dora Ficticia")])
    i["d2"] = add(users, 80, ["harassment"], [defender("DEF-D", "Dora Ficticia")], "rejected")
    i["e1"] = add(users, 500, ["threat"], [defender("DEF-E", "Elena Ficticia")])
    i["e between"] = add(users, 300, ["harassment"], [defender("DEF-E", "Elena Ficticia")])
    i["e2"] = add(users, 200, ["attempted_killing"], [defender("DEF-E", "Elena Ficticia")], "verified")
    i["f1"] = add(users, 400, ["physical_assault"], [defender("DEF-F", "Flor Ficticia")])
    i["f2"] = add(users, 300, ["threat"], [defender("DEF-F", "Flor Ficticia")])
    i["g1"] = add(users, 700, ["journalist_threat"], [defender("DEF-G", "Gina Ficticia", "journalist")])
    i["g2"] = add(users, 700, ["journalist_attack"], [defender("DEF-G", "Gina Ficticia", "journalist")])
    i["h1"] = add(users, 60, ["threat", "physical_assault"], [defender("DEF-H", "Hilda Ficticia")])
    i["i1"] = add(users, 50, ["threat"], [defender("DEF-I", "Irene Ficticia"), FAMILY])
    i["j1"] = add(users, 45, ["harassment"], [defender("DEF-J", "Julia Ficticia"), FAMILY])
    i["family unkeyed"] = add(users, 44, ["threat"], [VictimData(group="hrd"), FAMILY])
    i["family rejected"] = add(users, 43, ["threat"], [defender("DEF-L", "Lucía Ficticia"), FAMILY], "rejected")
    mechanism = dict(authority="mechanism", reference="EXP-RESERVADO-1", notes="Nota reservada")
    i["pending 16"] = add(
        users,
        20,
        ["harassment"],
        [defender("DEF-K", "Karen Ficticia")],
        "submitted",
        [RequestData(filed_on=ago(16), **mechanism)],
    )
    i["pending 15"] = unkeyed(users, 20, [RequestData(filed_on=ago(15), **mechanism)])
    i["pending rejected"] = unkeyed(users, 45, [RequestData(filed_on=ago(40), **mechanism)], "rejected")

    def granted(end: date | None, filed: int = 60):
        return RequestData(
            filed_on=ago(filed),
            authority="police",
            decision="granted",
            decided_on=ago(filed - 10),
            measures=["police_patrols", "escort"],
            measures_end=end,
        )

    i["ends in 30"] = unkeyed(users, 70, [granted(TODAY + timedelta(days=30))])
    i["ends today"] = unkeyed(users, 90, [granted(TODAY, filed=80), granted(None, filed=70)])
    i["ends in 31"] = unkeyed(users, 75, [granted(TODAY + timedelta(days=31))])
    i["ended"] = unkeyed(users, 75, [granted(ago(1))])
    i["refused"] = unkeyed(users, 150, [RequestData(filed_on=ago(140), decision="refused", decided_on=ago(100))])
    persons = {p.key: p.id for p in db.session.scalars(sa.select(Person))}
    return {
        "incidents": {name: inc.id for name, inc in i.items()},
        "refs": {n: x.ref for n, x in i.items()},
        "persons": persons,
    }


def expected_keys(s) -> dict[str, str]:
    """Every alert of the scenario, worked out by hand (see `scenario`)."""
    i, p = s["incidents"], s["persons"]
    return {
        f"repeat:p{p['DEF-A']}:i{i['a3']}": "repeat",
        f"repeat:p{p['DEF-C']}:i{i['c2']}": "repeat",
        f"repeat:p{p['DEF-G']}:i{i['g2']}": "repeat",  # same day: the later one recorded is the latest
        f"escalation:p{p['DEF-E']}:i{i['e2']}": "escalation",
        f"escalation:p{p['DEF-G']}:i{i['g2']}": "escalation",
        f"family_threat:i{i['i1']}": "family_threat",
        f"pending_request:i{i['pending 16']}:r0:f{ago(16):%Y%m%d}": "pending_request",
        f"measures_ending:i{i['ends in 30']}:r0:e{TODAY + timedelta(days=30):%Y%m%d}": "measures_ending",
        f"measures_ending:i{i['ends today']}:r0:e{TODAY:%Y%m%d}": "measures_ending",
    }


def test_the_scenario_raises_exactly_the_alerts_worked_out_by_hand(app, scenario):
    found = alerts.compute(TODAY)
    assert {a.key: a.kind for a in found} == expected_keys(scenario)


def test_each_alert_links_its_incidents_and_persons_and_is_dated_by_its_latest_event(app, users, scenario):
    i, p = scenario["incidents"], scenario["persons"]
    by_key = {a.key: a for a in alerts.describe(alerts.compute(TODAY), users["reviewer"])}
    ana = by_key[f"repeat:p{p['DEF-A']}:i{i['a3']}"]
    assert (ana.incident_ids, ana.person_ids, ana.since, ana.on) == (
        (i["a1"], i["a2"], i["a3"]),
        (p["DEF-A"],),
        ago(200),
        ago(40),
    )
    elena = by_key[f"escalation:p{p['DEF-E']}:i{i['e2']}"]
    assert (elena.incident_ids, elena.since, elena.on) == ((i["e1"], i["e2"]), ago(500), ago(200))
    gina = by_key[f"repeat:p{p['DEF-G']}:i{i['g2']}"]
    assert (gina.incident_ids, gina.size, gina.since, gina.on) == ((i["g1"], i["g2"]), 2, ago(700), ago(700))
    assert by_key[f"escalation:p{p['DEF-G']}:i{i['g2']}"].incident_ids == (i["g1"], i["g2"])
    family = by_key[f"family_threat:i{i['i1']}"]
    assert (family.incident_ids, family.person_ids, family.on) == ((i["i1"],), (p["DEF-I"],), ago(50))
    pending = by_key[f"pending_request:i{i['pending 16']}:r0:f{ago(16):%Y%m%d}"]
    assert (pending.person_ids, pending.request.filed_on, pending.request.authority) == (
        (p["DEF-K"],),
        ago(16),
        "mechanism",
    )
    ending = by_key[f"measures_ending:i{i['ends in 30']}:r0:e{TODAY + timedelta(days=30):%Y%m%d}"]
    assert (ending.person_ids, ending.on, ending.request.measures) == (
        (),
        TODAY + timedelta(days=30),
        ("police_patrols", "escort"),
    )
    # newest first: the measures ending in 30 days, then today, then the pending request's filing
    assert [a.kind for a in alerts.compute(TODAY)][:3] == ["measures_ending", "measures_ending", "pending_request"]


def test_near_misses_raise_nothing(app, users, scenario):
    """91 days apart, a rejected incident, a threat after the attack, a threat and an attack in one
    incident, a family without a threat, a request pending 15 days exactly, measures ending in 31 days."""
    i, p = scenario["incidents"], scenario["persons"]
    found = alerts.describe(alerts.compute(TODAY), users["reviewer"])
    assert found and all(a.incident_ids for a in found)
    quiet = {p[k] for k in ("DEF-B", "DEF-D", "DEF-F", "DEF-H", "DEF-J", "DEF-L")}
    assert not [a.key for a in found if quiet & set(a.person_ids)]
    ignored = {i[k] for k in ("pending 15", "pending rejected", "ends in 31", "ended", "refused", "family unkeyed")}
    assert not [a.key for a in found if ignored & set(a.incident_ids)]


def test_the_settings_move_the_thresholds(app, scenario):
    i, p = scenario["incidents"], scenario["persons"]
    app.config.update(ALERT_REPEAT_DAYS=91, ALERT_PENDING_DAYS=14, ALERT_MEASURES_ENDING_DAYS=31)
    keys = {a.key for a in alerts.compute(TODAY)}
    assert f"repeat:p{p['DEF-B']}:i{i['b2']}" in keys  # 91 days apart now counts
    assert f"pending_request:i{i['pending 15']}:r0:f{ago(15):%Y%m%d}" in keys
    assert f"measures_ending:i{i['ends in 31']}:r0:e{TODAY + timedelta(days=31):%Y%m%d}" in keys


def test_an_acknowledged_alert_comes_back_under_a_new_key_when_another_incident_adds_to_it(app, users, scenario):
    i, p = scenario["incidents"], scenario["persons"]
    old = f"repeat:p{p['DEF-A']}:i{i['a3']}"
    alerts.acknowledge(old, "Llamamos a la defensora; está a salvo.", users["reviewer"], TODAY)
    assert old not in {a.key for a in alerts.open_alerts(TODAY)}
    a4 = add(users, 10, ["threat"], [defender("DEF-A", "Ana Ficticia")])
    new = {a.key: a for a in alerts.open_alerts(TODAY)}[f"repeat:p{p['DEF-A']}:i{a4.id}"]
    alerts.describe([new], users["reviewer"])
    assert new.incident_ids == (i["a1"], i["a2"], i["a3"], a4.id)


def test_acknowledging_needs_a_comment_staff_and_a_live_alert(app, users, scenario):
    key = f"family_threat:i{scenario['incidents']['i1']}"
    with pytest.raises(ServiceError, match="comment is required"):
        alerts.acknowledge(key, "   ", users["reviewer"], TODAY)
    with pytest.raises(PermissionDenied):
        alerts.acknowledge(key, "Visto", users["monitor"], TODAY)
    with pytest.raises(ServiceError, match="no longer raised"):
        alerts.acknowledge(f"family_threat:i{scenario['incidents']['j1']}", "Visto", users["reviewer"], TODAY)
    alerts.acknowledge(key, "Visto", users["admin"], TODAY)
    with pytest.raises(ServiceError, match="already"):
        alerts.acknowledge(key, "Otra vez", users["reviewer"], TODAY)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertAcknowledgement)) == 1


# --- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("reviewer", 200), ("monitor", 403), ("author", 403), ("viewer", 403), ("anonymous", 302)],
)
def test_only_staff_open_the_alerts(app, client, auth, scenario, role, status):
    if role != "anonymous":
        auth.login(role)
    response = client.get("/protection/alerts")
    assert response.status_code == status
    body = response.get_data(as_text=True)
    if status == 302:
        assert response.location.startswith("/auth/login")
    else:  # the menu offers the page to those who may open it
        assert ('href="/protection/alerts"' in client.get("/incidents/").get_data(as_text=True)) == (status == 200)
    if status == 200:
        assert "DEF-A" in body and "Ana Ficticia" in body  # staff see who is at risk
    else:
        assert "DEF-A" not in body and "Ficticia" not in body
    acknowledged = client.post(
        "/protection/alerts/acknowledge",
        data={"alert_key": f"family_threat:i{scenario['incidents']['i1']}", "comment": "Visto"},
    )
    assert acknowledged.status_code == (302 if status == 200 else status)
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(AlertAcknowledgement))
    assert stored == (1 if status == 200 else 0)


def test_the_page_shows_each_alert_with_its_person_incidents_and_request(app, client, auth, scenario):
    auth.login("reviewer")
    body = client.get("/protection/alerts").get_data(as_text=True)
    refs = scenario["refs"]
    for name in ("a1", "a2", "a3", "e1", "e2", "i1", "pending 16", "ends in 30", "ends today"):
        assert f'href="/incidents/{refs[name]}"' in body
    for name in ("b1", "d2", "f1", "h1", "j1", "pending 15", "ends in 31"):
        assert refs[name] not in body
    assert "Ana Ficticia" in body and "Karen Ficticia" in body and "Berta" not in body
    assert f'href="/persons/{scenario["persons"]["DEF-A"]}">DEF-A</a>' in body  # the person's page, by number
    assert "Madre de Dios" in body and "Attempted killing" in body  # department, violations in words
    assert "Intersectoral Mechanism (MINJUSDH)" in body and "16 days" in body  # the request, waiting
    assert "Police patrols" in body and "ending today" in body
    assert "No one of the register of persons at risk is named on this incident." in body
    assert "EXP-RESERVADO-1" not in body and "Nota reservada" not in body  # the request's reference and notes
    assert body.count('name="alert_key"') == len(expected_keys(scenario))


def test_the_page_filters_by_kind(app, client, auth, scenario):
    auth.login("admin")
    body = client.get("/protection/alerts?kind=pending_request").get_data(as_text=True)
    assert body.count('name="alert_key"') == 1 and scenario["refs"]["pending 16"] in body
    assert scenario["refs"]["a3"] not in body


def test_acknowledging_from_the_page_moves_the_alert_to_the_acknowledged_list(
    app, client, auth, users, scenario, caplog
):
    key = f"escalation:p{scenario['persons']['DEF-E']}:i{scenario['incidents']['e2']}"
    auth.login("reviewer")
    refused = client.post("/protection/alerts/acknowledge", data={"alert_key": key, "comment": ""})
    assert refused.status_code == 400
    assert "the comment is required" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertAcknowledgement)) == 0

    done = client.post(
        "/protection/alerts/acknowledge", data={"alert_key": key, "comment": "Elena Ficticia fue reubicada."}
    )
    assert done.status_code == 302 and done.location == "/protection/alerts"
    assert "Ficticia" not in done.location
    open_page = client.get("/protection/alerts").get_data(as_text=True)
    assert f'value="{key}"' not in open_page and "Alert acknowledged" in open_page
    listed = client.get("/protection/alerts?show=acknowledged").get_data(as_text=True)
    assert f'data-key="{key}"' in listed
    assert "Elena Ficticia fue reubicada." in listed and "Acknowledged by Reviewer" in listed

    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "alert_acknowledged")).one()
    assert (entry.target, entry.details, entry.user_id) == (
        key,
        {"alert": key, "kind": "escalation"},
        users["reviewer"].id,
    )
    assert "Ficticia" not in caplog.text and "reubicada" not in caplog.text


def test_an_acknowledgement_outlives_its_alert_in_the_acknowledged_list(app, client, auth, users, scenario):
    i, p = scenario["incidents"], scenario["persons"]
    old = f"repeat:p{p['DEF-C']}:i{i['c2']}"
    alerts.acknowledge(old, "Carla fue informada.", users["admin"], TODAY)
    later = add(users, 280, ["harassment"], [defender("DEF-C", "Carla Ficticia")])  # 30 days after c2: the run grows
    auth.login("reviewer")
    open_page = client.get("/protection/alerts?kind=repeat").get_data(as_text=True)
    assert f'value="repeat:p{p["DEF-C"]}:i{later.id}"' in open_page and f'value="{old}"' not in open_page
    listed = client.get("/protection/alerts?show=acknowledged").get_data(as_text=True)
    assert f'data-key="{old}"' in listed and "This alert is no longer raised" in listed
    assert "Carla fue informada." in listed and "Acknowledged by Admin" in listed


# --- the command line ------------------------------------------------------------------------------


def test_the_command_prints_the_open_alerts_without_names(app, runner, users, scenario):
    result = runner.invoke(args=["alerts"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["kind", "date", "person", "incidents", "detail"]
    assert len([line for line in lines[2:] if line.strip() and not line.endswith("open.")]) == len(
        expected_keys(scenario)
    )
    refs = scenario["refs"]
    ana = next(line for line in lines if line.startswith("repeat") and "DEF-A " in line)
    assert f"{refs['a1']}, {refs['a2']}, {refs['a3']}" in ana and ago(40).isoformat() in ana
    assert "Ficticia" not in result.output and "EXP-RESERVADO-1" not in result.output
    assert lines[-1] == f"{len(expected_keys(scenario))} open."

    named = runner.invoke(args=["alerts", "--names", "--kind", "escalation"])
    assert named.exit_code == 0
    assert "DEF-E (Elena Ficticia)" in named.output and "DEF-G (Gina Ficticia)" in named.output
    assert "DEF-A" not in named.output  # escalations only


def test_the_command_lists_acknowledged_alerts_only_with_all(app, runner, users, scenario):
    key = f"family_threat:i{scenario['incidents']['i1']}"
    alerts.acknowledge(key, "Visto", users["reviewer"], TODAY)
    assert "family_threat" not in runner.invoke(args=["alerts"]).output
    everything = runner.invoke(args=["alerts", "--all", "--kind", "family_threat"])
    assert everything.exit_code == 0
    assert "DEF-I" in everything.output and everything.output.splitlines()[-1] == "0 open, 1 acknowledged."
    assert runner.invoke(args=["alerts", "--kind", "family_threat"]).output == "No open alerts.\n"


def test_the_command_says_so_when_there_is_nothing(app, runner):
    result = runner.invoke(args=["alerts"])
    assert (result.exit_code, result.output) == (0, "No open alerts.\n")
