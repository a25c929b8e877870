"""Availability from endpoint history, with maintenance windows excluded (store on SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.monitor.coverage import Coverage
from govnet.monitor.sla import availability, by_district, parse_period
from govnet.monitor.store import open_store


def test_availability_counts_down_time_outside_maintenance_only(net: Network, tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "m.db"))
    agencies = sorted(net.agencies.values(), key=lambda a: a.id)
    hit, other, never = agencies[0], agencies[1], agencies[2]
    t0 = 1_000_000.0
    run = Coverage(store)  # the monitor ran over the whole time (see test_sla_coverage.py)
    run.begin(t0)
    store.set_states([("endpoint", f"agency:{a.id}", "up", None) for a in (hit, other)], t0, "correlation")
    store.set_states([("endpoint", f"agency:{hit.id}", "down", None)], t0 + 100, "correlation")
    store.set_states([("endpoint", f"agency:{hit.id}", "up", None)], t0 + 200, "correlation")
    district = net.sites[hit.site].district
    store.add_maintenance(f"district:{district}", t0 + 150, t0 + 300, "splice")
    run.end(t0 + 1000)
    result = {a.id: a for a in availability(net, store, 1000, now=t0 + 1000)}
    assert result[hit.id].availability == pytest.approx(1 - 50 / 850)
    assert result[hit.id].down_s == pytest.approx(50)
    assert result[hit.id].maintenance_s == pytest.approx(150)
    assert result[other.id].availability == pytest.approx(1.0)
    assert result[never.id].availability is None and result[never.id].monitored_s == 0
    # A period that starts after the outage sees the state it started in (from history).
    later = {a.id: a for a in availability(net, store, 500, now=t0 + 1000)}
    assert later[hit.id].availability == pytest.approx(1.0) and later[hit.id].monitored_s == pytest.approx(
        500
    )
    districts = {d["district"]: d for d in by_district(list(result.values()), net)}
    assert districts[district]["name"] == net.district_names[district]
    store.close()


def test_a_bad_period_says_how_to_write_one() -> None:
    with pytest.raises(GovnetError, match="bad period"):
        parse_period("yesterday")


def test_maintenance_cli_records_lists_and_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from govnet.cli import main

    monkeypatch.setenv("GOVNET_STORE", str(tmp_path / "m.db"))
    window = ["--start", "2026-11-22T22:00+07:00", "--end", "2026-11-23T02:00+07:00", "--reason", "splice"]
    assert main(["monitor", "maintenance", "add", "district:dong-xoai", *window]) == 0
    assert main(["monitor", "maintenance", "list"]) == 0
    listed = capsys.readouterr().out
    assert "district:dong-xoai" in listed and "splice" in listed and "2026-11-22" in listed
    assert main(["monitor", "maintenance", "add", "commune:phu-nghia", *window]) == 0
    assert main(["monitor", "maintenance", "add", "rack:7", *window]) != 0
    assert "bad maintenance target" in capsys.readouterr().err
    backwards = ["--start", "2026-11-23T02:00+07:00", "--end", "2026-11-22T22:00+07:00", "--reason", "x"]
    assert main(["monitor", "maintenance", "add", "*", *backwards]) != 0
    assert "end after it starts" in capsys.readouterr().err
