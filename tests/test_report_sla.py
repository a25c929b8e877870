"""``govnet report sla`` and ``GET /api/v1/reports/sla`` (issue #16 item 3).

One month (November 2026, Asia/Ho_Chi_Minh) written into a real SQLite store: the monitor ran
except for 10 hours, one agency was down 2 hours (1 of them inside a maintenance window of its
district), another 30 minutes. The inventory is the sample province with hostile names put in
(an agency named with HTML and one with a spreadsheet formula, a commune named as a formula):
the HTML must show them as text, the CSV must not let a spreadsheet run them, and the PDF,
read back by poppler's ``pdftotext``, must list every agency, Vietnamese names included.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.cli import main
from govnet.errors import GovnetError
from govnet.inventory import sample_dir
from govnet.inventory.communes import communes
from govnet.inventory.loader import load_inventory
from govnet.inventory.network import Network
from govnet.monitor.coverage import Coverage
from govnet.monitor.slaformats import safe_cell, to_csv, to_html
from govnet.monitor.slareport import build_report, report_period
from govnet.monitor.store import open_store

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 11, 1, tzinfo=ZONE).timestamp()
END = datetime(2026, 12, 1, tzinfo=ZONE).timestamp()
HOUR = 3600.0
SCRIPT_NAME = '<script>alert("x")</script> & <b>Sở Tư pháp</b>'
FORMULA_NAME = '=HYPERLINK("http://evil.example","Phòng Y tế")'
FORMULA_COMMUNE = "@SUM(1+1)"


@dataclass
class Month:
    inventory: Path
    network: Network
    store_path: Path
    down_agency: str  # 2 h down, 1 h of it in maintenance
    short_agency: str  # 30 min down
    script_agency: str
    formula_agency: str


def _rename(inventory: Path, ident: str, field: str, new: str) -> None:
    """Give the entry ``- id: ident`` of the inventory's YAML a new ``field`` value, in the text."""
    pattern = re.compile(rf"(- id: {re.escape(ident)}\n(?:  .*\n)*?  {field}: ).*\n")
    quoted = "'" + new.replace("'", "''") + "'"
    done = 0
    for path in sorted(inventory.rglob("*.yaml")):
        text, count = pattern.subn(lambda m: m.group(1) + quoted + "\n", path.read_text(), count=1)
        if count:
            path.write_text(text)
            done += count
    assert done == 1, (ident, field)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    root = tmp_path_factory.mktemp("report")
    inventory = root / "inventory"
    shutil.copytree(sample_dir(), inventory)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(root))
        mp.setenv("XDG_CONFIG_HOME", str(root / ".config"))
        sample = load_inventory(inventory)
        ids = sorted(sample.agencies)
        with_commune = [a for a in ids if sample.sites[sample.agencies[a].site].commune]
        script_agency = ids[-1]
        formula_agency = next(a for a in reversed(with_commune) if a != script_agency)
        for ident, name in ((script_agency, SCRIPT_NAME), (formula_agency, FORMULA_NAME)):
            _rename(inventory, ident, "name", name)
        site = sample.agencies[formula_agency].site
        _rename(inventory, site, "commune", FORMULA_COMMUNE)
        network = load_inventory(inventory)
    assert network.agencies[script_agency].name == SCRIPT_NAME
    assert network.sites[site].commune == FORMULA_COMMUNE

    store_path = root / "monitor.db"
    store = open_store(str(store_path))
    district_of = {a: network.sites[network.agencies[a].site].district for a in ids}
    down_agency = ids[0]
    short_agency = next(a for a in ids if district_of[a] != district_of[down_agency])  # no maintenance
    endpoints = [f"agency:{a}" for a in network.agencies]
    first = Coverage(store)
    first.begin(START)
    store.set_states([("endpoint", e, "up", None) for e in endpoints], START, "correlation")
    store.set_states([("endpoint", f"agency:{down_agency}", "down", None)], START + 100 * HOUR, "correlation")
    store.set_states([("endpoint", f"agency:{down_agency}", "up", None)], START + 102 * HOUR, "correlation")
    store.set_states(
        [("endpoint", f"agency:{short_agency}", "down", None)], START + 200 * HOUR, "correlation"
    )
    store.set_states(
        [("endpoint", f"agency:{short_agency}", "up", None)], START + 200.5 * HOUR, "correlation"
    )
    district = network.sites[network.agencies[down_agency].site].district
    store.add_maintenance(f"district:{district}", START + 101 * HOUR, START + 103 * HOUR, "splice")
    first.end(START + 300 * HOUR)
    second = Coverage(store)  # the monitor was stopped 10 hours
    second.begin(START + 310 * HOUR)
    second.end(END)
    store.close()
    yield Month(inventory, network, store_path, down_agency, short_agency, script_agency, formula_agency)


def _report(month: Month, district: str | None = None):  # type: ignore[no-untyped-def]
    store = open_store(str(month.store_path))
    try:
        return build_report(month.network, store, report_period("2026-11"), district)
    finally:
        store.close()


def test_the_month_per_agency_commune_district_and_province(month: Month) -> None:
    report = _report(month)
    assert report.period.complete and report.period.end - report.period.start == 30 * 24 * HOUR
    agencies = {r.id: r for r in report.agencies}
    assert set(agencies) == set(month.network.agencies)
    down = agencies[month.down_agency]
    # Down 100→102 h; the district's maintenance 101→103 h takes 1 h of it and 1 h of up time.
    assert down.down_s == pytest.approx(HOUR)
    assert down.maintenance_s == pytest.approx(2 * HOUR)
    assert down.unmonitored_s == pytest.approx(10 * HOUR)
    monitored = 30 * 24 * HOUR - 10 * HOUR - 2 * HOUR
    assert down.monitored_s == pytest.approx(monitored)
    assert down.availability == pytest.approx(1 - HOUR / monitored)
    assert agencies[month.short_agency].availability == pytest.approx(1 - 0.5 * HOUR / (monitored + 2 * HOUR))
    others = [r for r in report.agencies if r.id not in {month.down_agency, month.short_agency}]
    assert all(r.availability == 1.0 and r.unmonitored_s == pytest.approx(10 * HOUR) for r in others)
    # Groups are weighted by time; their counts add up.
    assert report.total.level == "province" and report.total.agencies == len(month.network.agencies)
    assert report.total.down_s == pytest.approx(1.5 * HOUR)
    assert sum(d.agencies for d in report.districts) == report.total.agencies
    assert sum(c.agencies for c in report.communes) == report.total.agencies
    # Communes by their inventory ids: the same name in two districts is two lines.
    named = {c.id for c in report.communes if not c.id.endswith("/-")}
    assert named == set(communes(month.network))
    assert len([c for c in report.communes if c.name == "Tân Tiến"]) == 2
    commune = next(c for c in report.communes if c.name == FORMULA_COMMUNE)
    assert commune.agencies >= 1 and commune.availability == 1.0


def test_a_district_report_holds_only_that_district(month: Month) -> None:
    district = month.network.sites[month.network.agencies[month.down_agency].site].district
    report = _report(month, district)
    mine = {
        a for a, ag in month.network.agencies.items() if month.network.sites[ag.site].district == district
    }
    assert {r.id for r in report.agencies} == mine
    assert report.total.level == "district" and [d.id for d in report.districts] == [district]
    with pytest.raises(GovnetError, match="no district"):
        _report(month, "atlantis")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_shows_hostile_names_as_text(month: Month) -> None:
    page = to_html(_report(month))
    parser = _Text()
    parser.feed(page)
    assert "script" not in parser.tags and "b" not in parser.tags
    assert SCRIPT_NAME in "".join(parser.text)  # shown, as text
    assert "&lt;script&gt;" in page and "<script" not in page
    assert FORMULA_NAME.replace('"', "&#34;") in page


def test_csv_cells_never_start_a_formula(month: Month) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(_report(month)))))
    assert {r["id"] for r in rows if r["level"] == "agency"} == set(month.network.agencies)
    formula = next(r for r in rows if r["id"] == month.formula_agency)
    assert formula["name"] == "'" + FORMULA_NAME and formula["commune"] == "'" + FORMULA_COMMUNE
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), row
            assert not value.startswith("-") or re.fullmatch(r"-?[0-9.]+", value), row
    down = next(r for r in rows if r["id"] == month.down_agency)
    assert float(down["availability_pct"]) == pytest.approx(100 * (1 - 1 / (720 - 12)), abs=1e-3)
    assert down["down_s"] == "3600" and down["unmonitored_s"] == "36000"
    assert safe_cell("-2") == "'-2" and safe_cell("Đồng Xoài") == "Đồng Xoài"


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def test_cli_pdf_lists_every_agency_for_pdftotext(
    month: Month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVNET_STORE", str(month.store_path))
    out = tmp_path / "sla-2026-11.pdf"
    args = ["--inventory", str(month.inventory), "report", "sla", "--period", "2026-11"]
    assert main([*args, "--format", "pdf", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert out.read_bytes().startswith(b"%PDF-")
    text = _pdf_text(out)
    missing = [a.name for a in month.network.agencies.values() if " ".join(a.name.split()) not in text]
    assert missing == []
    assert "Bình Phước" in text and "Per commune" in text and FORMULA_COMMUNE in text
    # A PDF is not written to the terminal; the other formats are.
    assert main([*args, "--format", "pdf"]) != 0
    assert "--out" in capsys.readouterr().err
    assert main([*args, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("period,level,id,name")
    assert main([*args[:-1], "2026-13", "--format", "csv"]) != 0
    assert "bad period" in capsys.readouterr().err
    assert main([*args, "--format", "docx"]) != 0
    assert "unknown report format" in capsys.readouterr().err


@pytest.fixture
def api(month: Month, tmp_path: Path) -> Iterator[tuple[TestClient, TokenStore]]:
    store = open_store(str(month.store_path))
    tokens = TokenStore(tmp_path / "tokens.json")
    yield TestClient(create_app(ApiState(month.network, store, tokens))), tokens
    store.close()


def test_api_report_in_every_format_and_cut_to_a_district_token(
    month: Month, api: tuple[TestClient, TokenStore], tmp_path: Path
) -> None:
    client, tokens = api
    token, _ = tokens.create(Role.IOC, None, None)
    auth = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/reports/sla"
    answer = client.get(url, params={"period": "2026-11"}, headers=auth)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert {a["id"] for a in body["agencies"]} == set(month.network.agencies)
    assert body["total"]["level"] == "province" and body["period"]["label"] == "2026-11"
    html = client.get(url, params={"period": "2026-11", "format": "html"}, headers=auth)
    assert html.status_code == 200 and "&lt;script&gt;" in html.text and "<script" not in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]
    csv_answer = client.get(url, params={"period": "2026-11", "format": "csv"}, headers=auth)
    assert csv_answer.headers["content-disposition"] == 'attachment; filename="sla-2026-11.csv"'
    assert "'" + FORMULA_NAME.replace('"', '""') in csv_answer.text
    pdf = client.get(url, params={"period": "2026-11", "format": "pdf"}, headers=auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    (tmp_path / "api.pdf").write_bytes(pdf.content)
    assert month.network.agencies[month.down_agency].name in _pdf_text(tmp_path / "api.pdf")
    for bad in ({"period": "2026-13"}, {"period": "last month"}, {"period": "2026-11", "format": "docx"}):
        assert client.get(url, params=bad, headers=auth).status_code in {400, 422}, bad
    assert client.get(url, params={"period": "2026-11"}).status_code == 401
    future = client.get(url, params={"period": "2999-01"}, headers=auth)
    assert future.status_code == 404 and "has not begun" in future.text

    # A district-scoped token: its district only, no province line; another district is 403.
    district = month.network.sites[month.network.agencies[month.down_agency].site].district
    other = next(d for d in sorted(month.network.district_names) if d != district)
    scoped, _ = tokens.create(Role.IOC, district, None)
    scoped_auth = {"Authorization": f"Bearer {scoped}"}
    mine = client.get(url, params={"period": "2026-11"}, headers=scoped_auth).json()
    assert mine["scope"] == district and mine["total"]["level"] == "district"
    assert {a["id"] for a in mine["agencies"]} == {
        a for a, ag in month.network.agencies.items() if month.network.sites[ag.site].district == district
    }
    assert (
        other not in client.get(url, params={"period": "2026-11", "format": "csv"}, headers=scoped_auth).text
    )
    denied = client.get(url, params={"period": "2026-11", "district": other}, headers=scoped_auth)
    assert denied.status_code == 403
