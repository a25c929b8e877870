"""The outbound webhooks are documented in the API's OpenAPI 3.1 document (``webhooks``), and every
body the notifier builds validates against the schema that document publishes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from govnet.api.app import create_app
from govnet.api.auth import TokenStore
from govnet.api.deps import ApiState
from govnet.inventory.network import Network
from govnet.monitor.engine import CycleReport
from govnet.monitor.incidents import correlate
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.events import trial_event
from govnet.monitor.notify.notifier import Notifier
from govnet.monitor.notify.outbox import Outbox
from govnet.monitor.store import Change, open_store
from tests.notifykit import new_whsec, write_channels

T0 = 1_796_000_000.0


@pytest.fixture
def document(net: Network, tmp_path: Path) -> dict[str, Any]:
    store = open_store(str(tmp_path / "api.db"))
    client = TestClient(create_app(ApiState(net, store, TokenStore(tmp_path / "tokens.json"))))
    doc: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    store.close()
    return doc


def test_the_webhooks_are_in_the_openapi_3_1_document(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")
    hooks = document["webhooks"]
    assert set(hooks) == {"incident", "endpoint", "test", "report"}
    for name, model in (
        ("incident", "IncidentWebhook"),
        ("endpoint", "EndpointWebhook"),
        ("test", "TrialWebhook"),
        ("report", "ReportWebhook"),
    ):
        post = hooks[name]["post"]
        body = post["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model}"}
        headers = {p["name"] for p in post["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert "HMAC-SHA256" in post["description"] and "whsec_" in post["description"]
    kinds = document["components"]["schemas"]["IncidentWebhook"]["properties"]["type"]["enum"]
    assert set(kinds) == {
        "incident.opened",
        "incident.updated",
        "incident.closed",
        "incident.reminder",
        "incident.escalated",
    }


def test_every_body_the_notifier_builds_matches_the_document(
    document: dict[str, Any], net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", new_whsec())
    path = write_channels(
        tmp_path / "channels.yaml",
        """\
noc_url: https://noc.example.gov.vn/
channels:
  - {name: ioc, kind: webhook, url: "http://127.0.0.1:9/", secret: {env: HOOK_SECRET}}
  - {name: boss, kind: webhook, url: "http://127.0.0.1:9/boss", secret: {env: HOOK_SECRET}}
routes:
  - channels: [ioc]
    events: [incident, endpoint]
    remind_every: 1m
    escalate_after: 2m
    escalate_to: [boss]
""",
    )
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    store, outbox = open_store(url), Outbox(url)
    channels = load_channels(path)
    notifier = Notifier(channels, outbox, store, net, clock=lambda: T0)
    hub = "hub-bl"
    links = [lk.id for lk in net.links_by_device[hub]]
    for inc in correlate(net, links, [hub]):
        incident_id = store.open_incident(
            f"{inc.kind}:{inc.root_cause}", inc.kind, inc.root_cause, T0, inc.as_dict()
        )
        notifier.on_report(CycleReport(at=T0, opened=[incident_id]))
        store.update_incident(incident_id, T0 + 10, {**inc.as_dict(), "flapping": True})
        notifier.on_report(CycleReport(at=T0 + 10, updated=[incident_id]))
        notifier.sweep(T0 + 130)
        store.acknowledge(incident_id, "trực ca", T0 + 140)
        store.close_incident(incident_id, T0 + 200)
        notifier.on_report(CycleReport(at=T0 + 200, closed=[incident_id]))
    agency = next(iter(net.agencies))
    for old, new in (("up", "down"), ("down", "up")):
        change = Change(T0 + 300, "endpoint", f"agency:{agency}", old, new, "correlation")
        notifier.on_report(CycleReport(at=T0 + 300, changes=[change]))
    bodies = [row.payload["body"] for row in outbox.rows()]
    bodies.append(trial_event(T0, "ioc", channels.noc_url).body())
    outbox.close()
    store.close()
    assert {b["type"] for b in bodies} == {
        "incident.opened",
        "incident.updated",
        "incident.reminder",
        "incident.escalated",
        "incident.closed",
        "endpoint.down",
        "endpoint.up",
        "test",
    }
    model_of = {"endpoint": "EndpointWebhook", "test": "TrialWebhook", "incident": "IncidentWebhook"}
    for body in bodies:
        schema = {"$ref": f"#/components/schemas/{model_of[body['type'].split('.')[0]]}", **document}
        errors = list(Draft202012Validator(schema).iter_errors(body))
        assert errors == [], (body["type"], [e.message for e in errors])
    # And the document would catch a drift: an unknown key or a wrong type is refused.
    schema = {"$ref": "#/components/schemas/IncidentWebhook", **document}
    broken = {**bodies[0], "data": {**bodies[0]["data"], "surprise": 1}}
    assert list(Draft202012Validator(schema).iter_errors(broken))
