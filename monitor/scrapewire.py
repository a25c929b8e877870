"""One scrape as bytes on a wire (a Redis stream between a poll worker and the correlator).

JSON, not pickle: whatever comes off the broker is treated as hostile, so decoding builds only the
plain values a scrape holds (integers, text, bytes, null) and checks every field's type and size.
A value that does not fit gives :class:`ScrapeWireError`, naming what is wrong.

>>> from govnet.snmp.ber import VarBind
>>> s = Scrape("198.18.0.1", scalars={"1.3.6.1.2.1.1.3.0": VarBind("1.3.6.1.2.1.1.3.0", 0x43, 42)})
>>> back = decode_scrape(encode_scrape(s))
>>> back.scalars["1.3.6.1.2.1.1.3.0"].value, back.host, back.reachable
(42, '198.18.0.1', True)
>>> decode_scrape(b'{"host": 1}')  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
govnet.monitor.scrapewire.ScrapeWireError: scrape on the wire: 'host' is not text of at most 255 ...
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from govnet.errors import GovnetError
from govnet.monitor.scraper import Scrape
from govnet.snmp import ber
from govnet.snmp.ber import VarBind

#: At most this many bytes per encoded scrape (a 48-port switch's full scrape is well under 1 MB).
MAX_BYTES = 16 * 1024 * 1024
_OID = re.compile(r"[0-9]+(\.[0-9]+){1,127}\Z")
_HINT = "run the same govnet version on the workers and the correlator"


class ScrapeWireError(GovnetError):
    """A scrape read from the broker is malformed."""

    def __init__(self, what: str) -> None:
        super().__init__(f"scrape on the wire: {what}", hint=_HINT)


def _value_out(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    return value


def _vb_out(vb: VarBind) -> list[Any]:
    return [vb.oid, vb.tag, _value_out(vb.value)]


def encode_scrape(scrape: Scrape) -> bytes:
    """The scrape as compact JSON bytes."""
    doc = {
        "host": scrape.host,
        "error": scrape.error,
        "seconds": scrape.seconds,
        "varbinds": scrape.varbinds,
        "warnings": scrape.warnings,
        "scalars": [_vb_out(vb) for vb in scrape.scalars.values()],
        "columns": {root: [_vb_out(vb) for vb in rows] for root, rows in scrape.columns.items()},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _text(doc: dict[str, Any], key: str, limit: int = 255, optional: bool = False) -> str | None:
    value = doc.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ScrapeWireError(f"{key!r} is not text of at most {limit} characters")
    return value


def _oid(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _OID.match(value):
        raise ScrapeWireError(f"{where}: {str(value)[:40]!r} is not a numeric OID")
    return value


def _vb_in(item: Any, where: str) -> VarBind:
    if not isinstance(item, list) or len(item) != 3:
        raise ScrapeWireError(f"{where}: a varbind is [oid, tag, value]")
    oid = _oid(item[0], where)
    tag, value = item[1], item[2]
    if not isinstance(tag, int) or isinstance(tag, bool) or not 0 <= tag <= 0xFF:
        raise ScrapeWireError(f"{where} {oid}: tag {str(tag)[:20]!r} is not a BER tag")
    if isinstance(value, dict):
        try:
            value = base64.b64decode(value["b"], validate=True)
        except (KeyError, TypeError, ValueError):
            raise ScrapeWireError(f"{where} {oid}: a bytes value is {{'b': base64}}") from None
    elif value is not None and (isinstance(value, bool) or not isinstance(value, int | str)):
        raise ScrapeWireError(f"{where} {oid}: value of type {type(value).__name__} is not allowed")
    return VarBind(oid, tag, value, ber.oid_body(oid))


def decode_scrape(data: bytes) -> Scrape:
    """A scrape from :func:`encode_scrape`'s bytes; :class:`ScrapeWireError` for anything else."""
    if len(data) > MAX_BYTES:
        raise ScrapeWireError(f"{len(data)} bytes, more than {MAX_BYTES}")
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScrapeWireError(f"not JSON ({exc})") from None
    except RecursionError:  # a few hundred kB of '[' exhausts the decoder's stack
        raise ScrapeWireError("JSON nested too deep") from None
    if not isinstance(doc, dict):
        raise ScrapeWireError("not a JSON object")
    host = _text(doc, "host")
    assert host is not None
    error = _text(doc, "error", limit=2000, optional=True)
    seconds, varbinds = doc.get("seconds"), doc.get("varbinds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds < 86400:
        raise ScrapeWireError("'seconds' is not a duration")
    if not isinstance(varbinds, int) or isinstance(varbinds, bool) or varbinds < 0:
        raise ScrapeWireError("'varbinds' is not a count")
    warnings = doc.get("warnings")
    if not isinstance(warnings, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(t, str) for t in v)
        for k, v in warnings.items()
    ):
        raise ScrapeWireError("'warnings' is not {module: [text, ...]}")
    scalars_in, columns_in = doc.get("scalars"), doc.get("columns")
    if not isinstance(scalars_in, list) or not isinstance(columns_in, dict):
        raise ScrapeWireError("'scalars' is not a list or 'columns' not an object")
    scrape = Scrape(host, error=error, seconds=float(seconds), varbinds=varbinds, warnings=warnings)
    for item in scalars_in:
        vb = _vb_in(item, "scalars")
        scrape.scalars[vb.oid] = vb
    for root, rows in columns_in.items():
        _oid(root, "columns")
        if not isinstance(rows, list):
            raise ScrapeWireError(f"columns {root}: not a list")
        scrape.columns[root] = [_vb_in(item, f"columns {root}") for item in rows]
    return scrape
