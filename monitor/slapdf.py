"""The availability report as PDF, with fpdf2 and a Unicode TrueType font.

The core PDF fonts know Latin-1 only: Vietnamese names (``Sở Thông tin và Truyền thông``) need a
TrueType font embedded in the file. DejaVu Sans (Debian: ``fonts-dejavu-core``) is used where it is
installed; ``GOVNET_REPORT_FONT`` names another TTF (its bold face, if any, beside it as
``<name>-Bold.ttf``). Text from the inventory is only ever drawn as text.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from govnet.errors import GovnetError
from govnet.monitor.slaformats import duration, group_rows, percent
from govnet.monitor.slareport import SlaReport

#: Where Debian, Fedora/Arch and Alpine put DejaVu Sans.
FONT_PLACES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
)
FAMILY = "govnet-sans"


def find_font() -> Path:
    """The TTF to embed: ``GOVNET_REPORT_FONT``, else DejaVu Sans where the system keeps it."""
    named = os.environ.get("GOVNET_REPORT_FONT")
    if named:
        path = Path(named)
        if not path.is_file():
            raise GovnetError(
                f"GOVNET_REPORT_FONT names no file: {named[:200]}", hint="point it at a .ttf file"
            )
        return path
    for place in FONT_PLACES:
        if Path(place).is_file():
            return Path(place)
    raise GovnetError(
        "no Unicode font for the PDF report",
        hint="install DejaVu (Debian: apt-get install fonts-dejavu-core) or set GOVNET_REPORT_FONT to a .ttf",
    )


def _bold_of(regular: Path) -> Path | None:
    bold = regular.with_name(f"{regular.stem}-Bold{regular.suffix}")
    return bold if bold.is_file() else None


#: Column titles and relative widths of the two kinds of table.
_GROUP_COLUMNS = (("Name", 30), ("District", 16), ("Agencies", 10), ("Availability %", 13), ("Down", 10),
                  ("Monitored", 11), ("Maintenance", 11), ("Not monitored", 12))  # fmt: skip
_AGENCY_COLUMNS = (("Agency", 30), ("Level", 7), ("District", 14), ("Commune", 14),
                   ("Availability %", 11), ("Down", 8), ("Monitored", 9), ("Not monitored", 9))  # fmt: skip


def to_pdf(report: SlaReport) -> bytes:
    """The report as a PDF document (A4 landscape), Vietnamese text included."""
    font = find_font()
    bold = _bold_of(font)
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"Availability {report.period.label}: {report.province}")
    pdf.set_creator("govnet")
    pdf.add_font(FAMILY, "", str(font))
    pdf.add_font(FAMILY, "B", str(bold or font))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    zone = ZoneInfo(report.period.tz)
    period = report.period.as_dict()
    pdf.set_font(FAMILY, "B", 15)
    scope = f" ({report.total.name})" if report.scope else ""
    pdf.multi_cell(0, 8, f"Availability report: {report.province}{scope}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    generated = datetime.fromtimestamp(report.generated, zone).isoformat(timespec="seconds")
    over = "" if report.period.complete else ", not over yet"
    lines = (
        f"Period {report.period.label}: {period['start']} to {period['end']} ({report.period.tz}){over}. "
        f"Generated {generated}.",
        "Maintenance windows are excluded. Availability = 1 - down time / monitored time. Time the "
        "monitor was not running, or an agency's state was unknown, is not monitored and shown apart. "
        "Durations in hours:minutes; a group's are the sums over its agencies.",
    )
    for line in lines:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    for title, rows in group_rows(report):
        if not rows:
            continue
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", 11)
        pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 8)
        agencies = title == "Per agency"
        columns = _AGENCY_COLUMNS if agencies else _GROUP_COLUMNS
        with pdf.table(col_widths=tuple(w for _, w in columns), text_align="LEFT", line_height=4.5) as table:
            head = table.row()
            for name, _ in columns:
                head.cell(name)
            for row in rows:
                share = percent(row.availability) or "n/m"
                cells = (
                    [row.name, row.service_level, row.district, row.commune, share,
                     duration(row.down_s), duration(row.monitored_s), duration(row.unmonitored_s)]
                    if agencies
                    else [row.name, row.district, f"{row.monitored_agencies}/{row.agencies}",
                          share, duration(row.down_s), duration(row.monitored_s),
                          duration(row.maintenance_s), duration(row.unmonitored_s)]
                )  # fmt: skip
                out = table.row()
                for text in cells:
                    out.cell(text)
    return bytes(pdf.output())
