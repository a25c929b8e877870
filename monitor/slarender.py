"""One entry point for every format of the availability report (the CLI's and the API's)."""

from __future__ import annotations

from govnet.errors import GovnetError
from govnet.monitor.slaformats import FORMATS, to_csv, to_html, to_json
from govnet.monitor.slapdf import to_pdf
from govnet.monitor.slareport import SlaReport


def render(report: SlaReport, fmt: str) -> bytes:
    """The report in ``fmt`` (csv, html, json or pdf) as bytes (text in UTF-8)."""
    if fmt == "pdf":
        return to_pdf(report)
    writers = {"csv": to_csv, "html": to_html, "json": to_json}
    if fmt not in writers:
        raise GovnetError(f"unknown report format '{fmt[:16]}'", hint=f"one of: {', '.join(FORMATS)}")
    return writers[fmt](report).encode()
