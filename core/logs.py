"""Logging for every part of govnet: one line per event, with its context, never a secret.

Modules log with the standard library (``log = logging.getLogger(__name__)``) and pass what the
event is about as context, never inside the sentence::

    log.warning("device unreachable", extra={"device": "hub-01", "address": "198.18.0.12"})

:func:`configure` (called once by the ``govnet`` command, from ``--log-level``,
``--log-format`` and ``--log-file`` or ``$GOVNET_LOG_LEVEL``, ``$GOVNET_LOG_FORMAT``,
``$GOVNET_LOG_FILE``) sends every record to one handler:

* ``text`` (the default) for a terminal: ``TIME LEVEL LOGGER: message key=value ...``; control
  characters, line and paragraph separators and bidi controls are escaped (``\\n``,
  ``\\u2028``), and a value with a space, ``=`` or a quote is quoted, so a hostile device name
  or trap field cannot forge a second line or a field;
* ``json`` for a log shipper: one JSON object per line with ``time`` (UTC, ISO 8601),
  ``level``, ``logger``, ``message``, the context fields and ``exception`` (a traceback).

Levels: DEBUG per-poll and per-step detail; INFO state changes, pushes, start and stop; WARNING
something degraded that govnet works around; ERROR a failure that needs someone. govnet's own
loggers (``govnet.*``) and uvicorn's follow the level; other libraries' (NAPALM, Netmiko,
paramiko, pysnmp) log from WARNING up (or from the level, when it is higher).

**No secret is logged.** Code never passes one; and as a last line of defence the handler's
:class:`SecretMask` replaces every known secret value (each value the inventory's secret store
resolves, registered with :func:`add_secrets`), the secret part of every API token
(``gvn_<id>_<secret>``) and the password of every URL (``postgresql://user:********@host``,
``?password=********``) with
``********`` in the message, the context fields and tracebacks,
whichever logger the record comes from.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from govnet.errors import GovnetError

MASK = "********"
LEVELS = ("debug", "info", "warning", "error", "critical")
FORMATS = ("text", "json")
#: Loggers that follow the configured level; every other library logs from WARNING up.
OWN_LOGGERS = ("govnet", "uvicorn", "napalm_frr")

#: An API token (see govnet.api.auth): its id may be logged, its secret part never.
_TOKEN = re.compile(r"\b(gvn_[0-9A-Za-z]{1,32}_)[A-Za-z0-9_\-]+")
#: The password of a URL (``postgresql://user:password@host/db``), up to the authority's last
#: ``@`` (as URL parsers read it: a password may hold an ``@`` of its own).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:)[^/\s]*@")
#: A password in a URL's query (libpq's and redis-py's ``?password=``).
_QUERY_PASSWORD = re.compile(r"([?&;]password=)[^&;#\s]+", re.IGNORECASE)

#: The attributes every LogRecord has: anything else on a record came through ``extra=``.
#: (and uvicorn's ``color_message``: the message again, with terminal colour codes).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


# --------------------------------------------------------------------------- settings


class LogSettingsError(GovnetError):
    """A log option with a value govnet does not know (a usage error: exit status 2)."""

    exit_code = 2


@dataclass(frozen=True)
class LogSettings:
    """Where log lines go and which ones."""

    level: str = "warning"
    format: str = "text"
    file: Path | None = None

    @property
    def levelno(self) -> int:
        """The level as :mod:`logging` numbers it."""
        return int(logging.getLevelName(self.level.upper()))


def settings(
    level: str | None = None,
    fmt: str | None = None,
    file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> LogSettings:
    """Settings from the command line's values, else the environment, else the defaults.

    >>> settings("INFO", None, None, {"GOVNET_LOG_FORMAT": "json"})
    LogSettings(level='info', format='json', file=None)
    >>> settings("loud", None, None, {})
    Traceback (most recent call last):
    ...
    govnet.logs.LogSettingsError: unknown log level 'loud' (fix: use one of debug, info, warning, ...)
    """
    env = os.environ if environ is None else environ
    level = (level or env.get("GOVNET_LOG_LEVEL") or "warning").strip().lower()
    fmt = (fmt or env.get("GOVNET_LOG_FORMAT") or "text").strip().lower()
    if file is None and env.get("GOVNET_LOG_FILE"):
        file = Path(env["GOVNET_LOG_FILE"])
    if level not in LEVELS:
        raise LogSettingsError(f"unknown log level {level!r}", hint=f"use one of {', '.join(LEVELS)}")
    if fmt not in FORMATS:
        raise LogSettingsError(
            f"unknown log format {fmt!r}", hint="use text (a terminal) or json (a log shipper)"
        )
    return LogSettings(level, fmt, file)


# --------------------------------------------------------------------------- secrets


class _Secrets:
    """The secret values known to this process, and one pattern that finds them all."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, values: Iterable[str]) -> None:
        new = {v for v in values if v} - self._values
        if new:
            with self._lock:
                self._values |= new
                # Longest first: a secret that contains another is masked whole.
                alternatives = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))

    def mask(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)
        text = _QUERY_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
        return _TOKEN.sub(lambda m: m.group(1) + MASK, text)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None


_SECRETS = _Secrets()


def add_secrets(values: Iterable[str]) -> None:
    """Make these values known secrets: every log line from now on shows them as ``********``."""
    _SECRETS.add(values)


def mask(text: str) -> str:
    """``text`` with every known secret and every API token's secret part masked.

    >>> add_secrets(["s3cr3t-community"])
    >>> mask("community s3cr3t-community, token gvn_0a1b2c3d_QmFzZTY0IHNlY3JldA")
    'community ********, token gvn_0a1b2c3d_********'
    >>> mask("store postgresql://govnet:pa55w0rd@127.0.0.1/monitor")
    'store postgresql://govnet:********@127.0.0.1/monitor'
    """
    return _SECRETS.mask(text)


class SecretMask(logging.Filter):
    """Masks known secrets in a record's message, context fields and traceback (it never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        for key, value in context(record).items():
            setattr(record, key, _masked(value))
        return True


def _masked(value: Any) -> Any:
    """A context value with secrets masked: strings, inside lists and mappings too."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {mask(str(k)): _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_masked(v) for v in value]
    return mask(str(value))


# --------------------------------------------------------------------------- formats


def context(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a record was given with ``extra=``."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _escape_char(char: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _is_unsafe(char: str) -> bool:
    # Cc: C0/C1 controls and DEL (newline, CR, NUL, ESC, U+0085); Zl/Zp: U+2028/U+2029 (line
    # breaks to Python's splitlines and to JavaScript); Cf: bidi overrides, zero-width characters.
    return unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}


def escape(text: str) -> str:
    """``text`` on one line, every control, separator and format character written as an escape.

    >>> escape("hub-01\\n2026-01-01 ERROR forged \\u202eline")
    'hub-01\\\\n2026-01-01 ERROR forged \\\\u202eline'
    """
    return "".join(_escape_char(c) if _is_unsafe(c) else c for c in text)


def _value(value: Any) -> str:
    """A context value for the text format: bare when it is one plain word, else quoted."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if text and not any(c in text for c in ' ="\\') and not any(_is_unsafe(c) for c in text):
        return text
    return '"' + escape(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def _time(record: logging.LogRecord) -> str:
    moment = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER: message key=value ...``, one line per record whatever it holds."""

    def format(self, record: logging.LogRecord) -> str:
        head = f"{_time(record)} {record.levelname:<7} {record.name}: {escape(record.getMessage())}"
        fields = " ".join(f"{_value(k)}={_value(v)}" for k, v in context(record).items())
        line = f"{head} {fields}" if fields else head
        trace = self._trace(record)
        if trace:
            line += " exception=" + _value(trace)
        return mask(line)

    def _trace(self, record: logging.LogRecord) -> str:
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        return "\n".join(x for x in (record.exc_text, record.stack_info) if x)


#: Characters JSON leaves raw in a string that some readers take for a line break.
_JSON_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


class JsonFormatter(TextFormatter):
    """One JSON object per line: time, level, logger, message, the context fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in context(record).items():
            body[key if key not in body else f"context_{key}"] = value
        trace = self._trace(record)
        if trace:
            body["exception"] = trace
        line = json.dumps(body, ensure_ascii=False, default=str)
        for char, escaped in _JSON_BREAKS.items():
            line = line.replace(char, escaped)
        return line


# --------------------------------------------------------------------------- handlers


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when the record comes (a test's capture, a redirect)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


#: uvicorn's loggers below "uvicorn": they follow it, through govnet's handler.
_UVICORN = ("uvicorn.error", "uvicorn.asgi")

#: The handler :func:`configure` installed (replaced by the next call), as a one-item list.
_installed: list[logging.Handler] = []


def handler(config: LogSettings) -> logging.Handler:
    """A handler for these settings: the format, the secret mask, stderr or the file."""
    if config.file is not None:
        try:
            config.file.parent.mkdir(parents=True, exist_ok=True)
            out: logging.Handler = logging.FileHandler(config.file, encoding="utf-8")
        except OSError as exc:
            raise GovnetError(
                f"cannot write the log file {config.file}: {exc.strerror}",
                hint="give --log-file a writable path, or leave it out to log to stderr",
            ) from exc
    else:
        out = _StderrHandler()
    out.addFilter(SecretMask())
    out.setFormatter(JsonFormatter() if config.format == "json" else TextFormatter())
    return out


def configure(config: LogSettings) -> logging.Handler:
    """Send every log record to one handler made from ``config`` (replacing the one from before)."""
    new = handler(config)
    reset()
    root = logging.getLogger()
    root.addHandler(new)
    root.setLevel(max(config.levelno, logging.WARNING))
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(config.levelno)
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn").handlers.clear()
    for name in _UVICORN:  # undo a uvicorn log config run before in this process (its own handlers)
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    _installed.append(new)
    return new


def reset() -> None:
    """Take out what :func:`configure` put in (levels back to the default)."""
    root = logging.getLogger()
    while _installed:
        old = _installed.pop()
        root.removeHandler(old)
        old.close()
        root.setLevel(logging.WARNING)
        for name in OWN_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
