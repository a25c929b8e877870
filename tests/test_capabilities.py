"""The capability table of docs/vendors.md is the one in code, and the code paths it names exist."""

from __future__ import annotations

import re
from pathlib import Path

from govnet.tasks import safe_send
from govnet.tasks.capabilities import CAPABILITIES, cli_platforms, markdown_table
from govnet.tasks.render import TEMPLATES
from govnet.tasks.safe_send import ERROR_PATTERNS, SAFE_PLATFORMS, Ios, RouterOs, Vrp, way_for

DOC = Path(__file__).resolve().parents[1] / "docs" / "vendors.md"


def test_the_documented_table_is_the_capability_data() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- capability-table:[^>]*-->\n(.*?)<!-- /capability-table -->", text, re.S)
    assert found is not None, "docs/vendors.md lost its capability table markers"
    assert found.group(1) == markdown_table(), "regenerate the table from govnet.tasks.capabilities"


def test_every_platform_with_a_template_has_a_row_and_the_cli_rows_are_the_safe_platforms() -> None:
    rows = {c.platform for c in CAPABILITIES}
    assert rows == {p.name for p in TEMPLATES.iterdir() if (p / "device.j2").is_file()}
    assert cli_platforms() == set(SAFE_PLATFORMS) == set(ERROR_PATTERNS)
    assert [type(way_for(p, 120)) for p in SAFE_PLATFORMS] == [Ios, Vrp, RouterOs]


def test_the_rows_name_the_commands_the_code_sends() -> None:
    """Each command a row names is in that platform's code (so the table cannot drift from it)."""
    source = Path(safe_send.__file__).read_text(encoding="utf-8")
    row = {c.platform: c for c in CAPABILITIES}
    for platform, commands in {
        "cisco_ios": [
            "configure terminal revert timer",
            "show archive",
            "configure confirm",
            "configure revert now",
        ],
        "huawei_vrp": ["commit trial", '"abort"', "rollback configuration last 1"],
        "mikrotik_routeros": ["/system backup save", "\\x18", "\\x04"],
    }.items():
        for command in commands:
            assert command in source, (platform, command)
        text = " ".join(vars(row[platform]).values())
        for word in (
            "configure terminal revert timer",
            "show archive",
            "configure confirm",
            "configure revert now",
        ):
            assert (word in text) == (platform == "cisco_ios"), (platform, word)
    assert "commit trial" in row["huawei_vrp"].confirmed and "abort" in row["huawei_vrp"].rolled_back
    assert "safe mode" in row["mikrotik_routeros"].atomic and "Ctrl-D" in row["mikrotik_routeros"].rolled_back
