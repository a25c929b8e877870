"""The availability report as CSV, HTML and JSON (the PDF is :mod:`govnet.monitor.slapdf`).

Every name in a report comes from the inventory and is treated as hostile: the HTML is rendered
by Jinja2 with autoescaping (a name never becomes markup), and a CSV cell that a spreadsheet
would take for a formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) is prefixed with ``'`` (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment

from govnet.monitor.slareport import Row, SlaReport

FORMATS = ("csv", "html", "json", "pdf")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "period", "level", "id", "name", "district", "commune", "service_level", "type", "agencies",
    "monitored_agencies", "availability_pct", "down_s", "monitored_s", "maintenance_s", "unmonitored_s",
)  # fmt: skip


def safe_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-1+2"), safe_cell("Sở Y tế")
    ('\\'=HYPERLINK("http://x")', "'-1+2", 'Sở Y tế')
    """
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def percent(value: float | None, digits: int = 3) -> str:
    """``99.950`` (no unit), or empty when nothing was monitored.

    >>> percent(0.9995), percent(None)
    ('99.950', '')
    """
    return "" if value is None else f"{value * 100:.{digits}f}"


def duration(seconds: float) -> str:
    """Hours and minutes, as people read a month's outage.

    >>> duration(0), duration(59), duration(3 * 3600 + 25 * 60 + 30), duration(86400 * 30)
    ('0:00', '0:01', '3:26', '720:00')
    """
    minutes = int(seconds // 60 + (1 if seconds % 60 else 0))
    return f"{minutes // 60}:{minutes % 60:02d}"


def to_csv(report: SlaReport) -> str:
    """One table: the total, the districts, the communes, the agencies (``level`` says which)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows():
        texts = (report.period.label, row.level, row.id, row.name, row.district, row.commune,
                 row.service_level, row.type)  # fmt: skip
        numbers = (row.agencies, row.monitored_agencies, percent(row.availability),
                   f"{row.down_s:.0f}", f"{row.monitored_s:.0f}", f"{row.maintenance_s:.0f}",
                   f"{row.unmonitored_s:.0f}")  # fmt: skip
        writer.writerow([*(safe_cell(t) for t in texts), *numbers])
    return out.getvalue()


def to_json(report: SlaReport) -> str:
    """The report as JSON (what the API answers with ``format=json``)."""
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2)


_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_ENV.filters["percent"] = percent
_ENV.filters["duration"] = duration

_TEMPLATE = _ENV.from_string(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Availability {{ r.period.label }}: {{ r.province }}</title>
<style>
body { font-family: "DejaVu Sans", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td { white-space: nowrap; }
caption { text-align: left; font-weight: bold; margin-bottom: 0.4em; }
</style>
</head>
<body>
<h1>Availability report: {{ r.province }}{% if r.scope %} ({{ r.total.name }}){% endif %}</h1>
<p>Period {{ r.period.label }}: {{ period.start }} to {{ period.end }} ({{ r.period.tz }})
{%- if not r.period.complete %}, not over yet{% endif %}. Generated {{ generated }}.</p>
<p>Maintenance windows are excluded. Availability = 1 − down time / monitored time; time the
monitor was not running, or an agency's state was unknown, is not monitored and shown apart.
Durations in hours:minutes; a group's are the sums over its agencies.</p>
{% macro table(caption, rows, agencies) %}
<table>
<caption>{{ caption }}</caption>
<thead><tr>
{% if agencies %}<th>Agency</th><th>Service level</th>{% else %}<th>Name</th><th>Agencies</th>{% endif %}
<th>District</th><th>Commune</th><th>Availability %</th><th>Down h:mm</th><th>Monitored h:mm</th>
<th>Maintenance h:mm</th><th>Not monitored h:mm</th>
</tr></thead>
<tbody>
{% for row in rows %}
<tr class="{{ row.level }}" data-id="{{ row.id }}">
{% if agencies %}<td>{{ row.name }}</td><td>{{ row.service_level }}</td>
{% else %}<td>{{ row.name }}</td><td class="n">{{ row.monitored_agencies }}/{{ row.agencies }}</td>{% endif %}
<td>{{ row.district }}</td><td>{{ row.commune }}</td>
<td class="n">{{ row.availability | percent or "not monitored" }}</td>
<td class="n">{{ row.down_s | duration }}</td><td class="n">{{ row.monitored_s | duration }}</td>
<td class="n">{{ row.maintenance_s | duration }}</td><td class="n">{{ row.unmonitored_s | duration }}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% endmacro %}
{{ table("Total", [r.total], False) }}
{{ table("Per district", r.districts, False) }}
{{ table("Per commune", r.communes, False) }}
{{ table("Per agency", r.agencies, True) }}
</body>
</html>
"""
)


def to_html(report: SlaReport) -> str:
    """A self-contained HTML page (no script, no external asset), every inventory name escaped."""
    zone = ZoneInfo(report.period.tz)
    return _TEMPLATE.render(
        r=report,
        period=report.period.as_dict(),
        generated=datetime.fromtimestamp(report.generated, zone).isoformat(timespec="seconds"),
    )


def group_rows(report: SlaReport) -> list[tuple[str, list[Row]]]:
    """The report's sections in order: (title, rows)."""
    return [
        ("Total", [report.total]),
        ("Per district", report.districts),
        ("Per commune", report.communes),
        ("Per agency", report.agencies),
    ]
