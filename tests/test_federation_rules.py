"""The recording rules a national Prometheus federates (docs/prometheus/federation-rules.yml).

``promtool`` (Debian's prometheus package) checks the file, and every metric the rules read is one
that ``/metrics`` exposes, so the rules never silently record nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from govnet.monitor import metrics

RULES = Path(__file__).resolve().parent.parent / "docs" / "prometheus" / "federation-rules.yml"


def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian package prometheus) is not installed: run scripts/setup.sh")
    answer = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "SUCCESS: 7 rules found" in answer.stdout


def test_rules_read_only_metrics_govnet_exposes_and_record_only_aggregates() -> None:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    rules = [r for g in doc["groups"] for r in g["rules"]]
    source = Path(metrics.__file__).read_text(encoding="utf-8")
    exposed = set(re.findall(r'"(govnet_[a-z_]+)"', source))
    for rule in rules:
        assert rule["record"].startswith("govnet:"), rule
        read = set(re.findall(r"\b(govnet_[a-z_]+)\b", rule["expr"]))
        assert read and read <= exposed, (rule["record"], read - exposed)
        assert "ifHC" not in rule["expr"] and "interface" not in rule["expr"], "no raw interface series"
