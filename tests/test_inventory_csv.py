"""Spreadsheet import: a good CSV adds valid agencies; a bad one names row and column and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from govnet.cli import main
from govnet.inventory.loader import load_inventory
from tests.conftest import tree_snapshot

HEADER = "name,type,district,commune,lat,lon,uplink_hub,service_level\n"


def run_import(csv: Path, inventory: Path) -> int:
    """``govnet --inventory INV inventory import-csv CSV --into INV``."""
    return main(
        ["--inventory", str(inventory), "inventory", "import-csv", str(csv), "--into", str(inventory)]
    )


def test_import_adds_agencies_cpes_and_links(mini_inventory: Path, tmp_path: Path) -> None:
    csv = tmp_path / "xa-moi.csv"
    csv.write_text(
        HEADER
        + "UBND xã Hai,commune_committee,bac,Xã Hai,11.85,106.65,hub-a,silver\n"
        + "Trường THCS xã Hai,school,bac,Xã Hai,11.851,106.651,hub-a,bronze\n",
        encoding="utf-8",
    )
    assert run_import(csv, mini_inventory) == 0
    network = load_inventory(mini_inventory)
    added = [a for a in network.agencies.values() if "Hai" in a.name]
    assert {a.name for a in added} == {"UBND xã Hai", "Trường THCS xã Hai"}
    for agency in added:
        cpe = network.devices[agency.cpe]
        assert cpe.role.value == "cpe"
        (uplink,) = network.links_by_device[cpe.name]
        assert uplink.a_device == "hub-a"
        assert agency.lan_prefix is not None
    # Free resources were picked: new interfaces and addresses do not clash (validation passed).
    assert len(network.links) == 7


def test_bad_csv_names_row_and_column_and_writes_nothing(
    mini_inventory: Path, tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(
        HEADER
        + "UBND xã Hai,commune_committee,bac,Xã Hai,11.85,106.65,hub-a,silver\n"
        + "Trường xã Ba,school,bac,Xã Ba,11.8,106.6,hub-zz,bronze\n"
        + "Trạm Y tế xã Bốn,clinic,bac,Xã Bốn,abc,106.6,hub-a,bronze\n",
        encoding="utf-8",
    )
    before = tree_snapshot(mini_inventory, isolated_home)
    code = run_import(csv, mini_inventory)
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.csv:3: row 3 'Trường xã Ba': field 'uplink_hub'" in err
    assert "bad.csv:4: row 4 'Trạm Y tế xã Bốn': field 'type': unknown agency type 'clinic'" in err
    assert "field 'lat'" in err
    assert tree_snapshot(mini_inventory, isolated_home) == before


def test_csv_with_missing_column_is_refused(
    mini_inventory: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "short.csv"
    csv.write_text("name,type,district\nA,school,bac\n", encoding="utf-8")
    assert run_import(csv, mini_inventory) == 2
    assert "missing column(s)" in capsys.readouterr().err


def test_import_that_breaks_the_whole_inventory_writes_nothing(
    mini_inventory: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "far.csv"
    # A site outside the province passes the CSV checks but fails whole-inventory validation.
    csv.write_text(
        HEADER + "UBND xã Xa,commune_committee,bac,Xã Xa,15.0,106.6,hub-a,silver\n", encoding="utf-8"
    )
    before = tree_snapshot(mini_inventory)
    assert run_import(csv, mini_inventory) == 2
    assert "lies outside the province" in capsys.readouterr().err
    assert tree_snapshot(mini_inventory) == before
