"""The containerlab twin validates against containerlab's own JSON schema and carries no secret."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from govnet.cli import main
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory

SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "containerlab" / "clab.schema.json"


def clab_validator() -> Draft202012Validator:
    """containerlab's schema, with the two quirks Python needs handled (see ../shared/README.md)."""
    text = SCHEMA.read_text(encoding="utf-8")
    text = (
        text.replace("[\\\\p{N}\\\\p{L}]", "[^\\\\W_]")
        .replace("\\\\p{N}", "0-9")
        .replace("\\\\p{L}", "a-zA-Z")
    )
    schema = json.loads(text)
    for pattern in re.findall(r'"pattern": "([^"]*)"', text):
        re.compile(json.loads(f'"{pattern}"'))  # every pattern must now compile in Python
    return Draft202012Validator(schema)  # links use 2020-12's prefixItems


@pytest.mark.skipif(
    not SCHEMA.exists(), reason="../shared/containerlab/clab.schema.json is not beside the repo"
)
@pytest.mark.parametrize("size", ["small", "medium"])
def test_exported_topology_passes_containerlab_schema(size: str, tmp_path: Path) -> None:
    out = tmp_path / "clab"
    assert main(["lab", "export-clab", str(out), "--size", size]) == 0
    topo_file = out / f"govnet-{size}.clab.yml"
    topology = yaml.safe_load(topo_file.read_text(encoding="utf-8"))
    errors = sorted(clab_validator().iter_errors(topology), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    nodes = topology["topology"]["nodes"]
    assert len(topology["topology"]["links"]) >= len(nodes) - 1
    for name, node in nodes.items():
        for bind in node["binds"]:
            assert (out / bind.split(":", 1)[0]).is_file(), bind
        assert "hostname " + name in (out / "configs" / name / "frr.conf").read_text(encoding="utf-8")
    assert (out / "Dockerfile").is_file() and (out / "entrypoint.sh").is_file()


def test_a_schema_violation_is_caught(tmp_path: Path) -> None:
    if not SCHEMA.exists():
        pytest.skip("no schema beside the repo")
    bad = {"name": "x", "topology": {"nodes": {"a": {"kind": "linux", "unknown-key": 1}}}}
    assert list(clab_validator().iter_errors(bad))


def test_export_holds_no_secret(tmp_path: Path) -> None:
    network = load_inventory(sample_dir())
    out = tmp_path / "clab"
    assert main(["lab", "export-clab", str(out)]) == 0
    blob = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())
    for value in network.secrets.plain_values():
        assert value not in blob
    assert "@SNMP_COMMUNITY@" in blob
