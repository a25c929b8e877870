"""The channels file (``--channels FILE``): where notifications go and which ones go where.

Validated like the inventory: every model forbids unknown keys, and every problem names the file,
the line, the entry and the field (all problems at once, as :class:`govnet.errors.InventoryError`).
Secrets (a webhook's ``whsec_`` key, an SMTP password, a Telegram bot token, an apprise URL, which
carries its service's credentials) are written as ``{env: NAME}`` or ``{secret: KEY}`` and resolved
through :class:`govnet.inventory.secrets.SecretStore`; their values are held as
:class:`pydantic.SecretStr` and never printed.

.. code-block:: yaml

    language: vi                  # vi (default) | en; a channel may override it
    timezone: Asia/Ho_Chi_Minh    # for "since" and quiet hours
    noc_url: https://noc.example.gov.vn/
    retry: {first: 5s, maximum: 10m}
    channels:
      - name: ioc
        kind: webhook             # webhook | email | telegram | apprise
        url: https://ioc.example/hooks/govnet
        secret: {env: IOC_WEBHOOK_SECRET}
    routes:
      - channels: [ioc]
        events: [incident, endpoint]   # + report: last month's SLA report on the 1st
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError, model_validator

from govnet.errors import InventoryError, SecretError
from govnet.inventory.loader import problem_from_error
from govnet.inventory.models import DeviceName, Name, SecretRef, ServiceLevel, Slug, Strict
from govnet.inventory.problems import Problem
from govnet.inventory.secrets import SecretStore
from govnet.inventory.yamlfile import LocatedDict, UnreadableFileError, YamlSyntaxError, load_yaml

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> float:
    """Seconds from ``90s``, ``5m``, ``2h``, ``1d`` or a bare number of minutes.

    >>> parse_duration("90s"), parse_duration("5m"), parse_duration(30), parse_duration("1.5h")
    (90.0, 300.0, 1800.0, 5400.0)
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of minutes or text such as 90s, 5m, 2h")
    if isinstance(value, int | float):
        return float(value) * 60.0
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"'{str(value)[:40]}' is not a duration: write 90s, 5m, 2h or 1d")
    return float(match.group(1)) * _UNIT[match.group(2) or "m"]


def _positive(seconds: float) -> float:
    if seconds <= 0:
        raise ValueError("the duration must be more than zero")
    return seconds


#: A duration in seconds, written ``90s``/``5m``/``2h`` (a bare number means minutes).
Duration = Annotated[float, BeforeValidator(parse_duration), AfterValidator(_positive)]


def _clock(value: object) -> time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 22:00 as 1320
        return time(value // 60 % 24, value % 60)
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(value).strip())
    if not match:
        raise ValueError(f"'{str(value)[:20]}' is not a time of day: write HH:MM, e.g. 22:00")
    return time(int(match.group(1)), int(match.group(2)))


Clock = Annotated[time, BeforeValidator(_clock)]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("give an http:// or https:// URL with a host")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError("the URL holds spaces or control characters")
    if parts.password is not None:
        raise ValueError("the URL holds a password, which this file must not: sign with 'secret' instead")
    return value


HttpUrl = Annotated[str, Field(max_length=2048), AfterValidator(_http_url)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s<>,;\"]+@[A-Za-z0-9.-]+$")]
EventKind = Literal["incident", "endpoint", "report"]
Severity = Literal["minor", "major", "critical"]
SEVERITIES: tuple[str, ...] = ("minor", "major", "critical")


def _incidents_only() -> list[EventKind]:
    return ["incident"]


class Retry(Strict):
    """Back-off of a failed delivery: ``first`` after the first failure, doubling up to ``maximum``."""

    first: Duration = 5.0
    maximum: Duration = 600.0


class _Channel(Strict):
    name: Slug
    language: Literal["vi", "en"] | None = None
    #: Which events this channel gets when no route names it.
    events: list[EventKind] = Field(default_factory=_incidents_only)
    timeout: Duration = 10.0


class WebhookChannel(_Channel):
    """An HTTP POST of a JSON body signed per Standard Webhooks (``whsec_`` secret)."""

    kind: Literal["webhook"]
    url: HttpUrl
    secret: SecretRef


class EmailChannel(_Channel):
    """E-mail through an SMTP server."""

    kind: Literal["email"]
    host: DeviceName
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: Annotated[str, Field(min_length=1, max_length=254)] | None = None
    password: SecretRef | None = None
    #: CA certificates (PEM) that sign the server's certificate, when it is not a public CA's.
    ca_file: Path | None = None
    sender: Email
    to: list[Email] = Field(min_length=1)

    @model_validator(mode="after")
    def _login(self) -> EmailChannel:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both 'username' and 'password' for an SMTP login, or neither")
        return self


def _chat_id(value: str) -> str:
    if not re.fullmatch(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,63}", value):
        raise ValueError("a Telegram chat id is a number (a group's starts with -100) or @channelname")
    return value


class TelegramChannel(_Channel):
    """A Telegram chat through the Bot API (``api_url`` for a local Bot API server)."""

    kind: Literal["telegram"]
    token: SecretRef
    chat_id: Annotated[str, AfterValidator(_chat_id)]
    api_url: HttpUrl = "https://api.telegram.org"

    @model_validator(mode="before")
    @classmethod
    def _chat_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("chat_id"), int):
            data = {**data, "chat_id": str(data["chat_id"])}
        return data


class AppriseChannel(_Channel):
    """Any service apprise knows, by its URL (which carries the service's credentials: a secret)."""

    kind: Literal["apprise"]
    url: SecretRef


Channel = Annotated[
    WebhookChannel | EmailChannel | TelegramChannel | AppriseChannel, Field(discriminator="kind")
]
CHANNEL_KINDS: dict[str, type[_Channel]] = {
    "webhook": WebhookChannel,
    "email": EmailChannel,
    "telegram": TelegramChannel,
    "apprise": AppriseChannel,
}


class QuietHours(Strict):
    """Hold back messages below ``except_severity`` between ``start`` and ``end`` (local time)."""

    start: Clock
    end: Clock
    except_severity: Severity = "critical"


class Route(Strict):
    """Which events go to which channels, and what happens while nobody acknowledges."""

    channels: list[Slug] = Field(min_length=1)
    events: list[EventKind] = Field(default_factory=_incidents_only)
    min_severity: Severity = "minor"
    districts: list[Slug] | None = None
    #: Commune or ward names (``An Lộc``) or ids (``an-loc``, see /api/v1/communes).
    communes: list[Name] | None = None
    service_levels: list[ServiceLevel] | None = None
    quiet_hours: QuietHours | None = None
    remind_every: Duration | None = None
    escalate_after: Duration | None = None
    escalate_to: list[Slug] = Field(default_factory=list)

    @model_validator(mode="after")
    def _escalation(self) -> Route:
        if (self.escalate_after is None) != (not self.escalate_to):
            raise ValueError("give both 'escalate_after' and 'escalate_to', or neither")
        return self


class ChannelsFile(Strict):
    """The whole file."""

    language: Literal["vi", "en"] = "vi"
    timezone: Annotated[str, Field(max_length=64)] = "Asia/Ho_Chi_Minh"
    noc_url: HttpUrl | None = None
    retry: Retry = Field(default_factory=Retry)
    channels: list[Any] = Field(min_length=1)
    routes: list[Any] = Field(default_factory=list)

    @model_validator(mode="after")
    def _zone(self) -> ChannelsFile:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{self.timezone[:64]}' (e.g. Asia/Ho_Chi_Minh)") from exc
        return self


@dataclass(frozen=True)
class ResolvedChannel:
    """A channel with its secrets looked up (values stay in :class:`SecretStr`)."""

    config: WebhookChannel | EmailChannel | TelegramChannel | AppriseChannel
    secrets: dict[str, SecretStr] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def kind(self) -> str:
        return self.config.kind


@dataclass(frozen=True)
class Channels:
    """A loaded, checked channels file."""

    path: Path
    language: str
    zone: ZoneInfo
    noc_url: str | None
    retry: Retry
    channels: dict[str, ResolvedChannel]
    routes: list[Route]

    def language_of(self, channel: str) -> str:
        return self.channels[channel].config.language or self.language


def _secret_fields(channel: _Channel) -> dict[str, SecretRef]:
    return {name: value for name, value in vars(channel).items() if isinstance(value, SecretRef)}


def _check_webhook_secret(value: SecretStr) -> str | None:
    text = value.get_secret_value()
    if not text.startswith("whsec_"):
        return "the webhook secret must start with 'whsec_' (Standard Webhooks)"
    try:
        key = base64.b64decode(text[len("whsec_") :], validate=True)
    except (binascii.Error, ValueError):
        return "the webhook secret after 'whsec_' is not base64"
    if not 24 <= len(key) <= 64:
        return f"the webhook secret holds {len(key)} bytes; Standard Webhooks asks for 24 to 64"
    return None


def load_channels(path: Path, secrets: SecretStore | None = None) -> Channels:
    """Read, check and resolve a channels file; :class:`InventoryError` lists every problem."""
    file = str(path)
    try:
        raw = load_yaml(path)
    except YamlSyntaxError as exc:
        raise InventoryError(
            [Problem(file, exc.line, None, None, exc.message)], summary="bad channels file"
        ) from exc
    except UnreadableFileError as exc:
        raise InventoryError(
            [Problem(file, None, None, None, exc.message, exc.hint)], summary="bad channels file"
        ) from exc
    if not isinstance(raw, LocatedDict):
        raise InventoryError(
            [Problem(file, 1, None, None, "the file is not a mapping", "start with 'channels:'")],
            summary="bad channels file",
        )
    problems: list[Problem] = []
    top = _validate(ChannelsFile, raw, "channels file", file, problems)
    store = secrets or SecretStore()
    channels: dict[str, ResolvedChannel] = {}
    for index, item in enumerate(raw.get("channels") or []):
        label = f"channels[{index}]"
        if not isinstance(item, LocatedDict):
            problems.append(
                Problem(file, raw.key_lines.get("channels"), label, None, "each channel is a mapping")
            )
            continue
        label = f"channels[{index}] '{str(item.get('name', ''))[:40]}'" if "name" in item else label
        kind = item.get("kind")
        model = CHANNEL_KINDS.get(str(kind))
        if model is None:
            problems.append(
                Problem(
                    file,
                    item.key_lines.get("kind", item.line),
                    label,
                    "kind",
                    f"unknown channel kind '{str(kind)[:40]}'",
                    "use one of " + ", ".join(CHANNEL_KINDS),
                )
            )
            continue
        config = _validate(model, item, label, file, problems)
        if config is None:
            continue
        assert isinstance(config, WebhookChannel | EmailChannel | TelegramChannel | AppriseChannel)
        if (
            isinstance(config, EmailChannel)
            and config.ca_file is not None
            and not config.ca_file.is_absolute()
        ):
            config = config.model_copy(update={"ca_file": path.parent / config.ca_file})  # beside the file
        if config.name in channels:
            problems.append(
                Problem(file, item.line, label, "name", f"a second channel named '{config.name}'")
            )
            continue
        values: dict[str, SecretStr] = {}
        for field_name, ref in _secret_fields(config).items():
            line = item.key_lines.get(field_name, item.line)
            try:
                value = store.lookup(ref)
            except SecretError as exc:
                problems.append(Problem(file, line, label, field_name, exc.message, exc.hint))
                continue
            if value is None:
                problems.append(
                    Problem(
                        file,
                        line,
                        label,
                        field_name,
                        f"no value for {ref.describe()}",
                        "set it in the environment or the secrets file (the value is never printed)",
                    )
                )
                continue
            if isinstance(config, WebhookChannel) and field_name == "secret":
                wrong = _check_webhook_secret(value)
                if wrong is not None:
                    problems.append(
                        Problem(
                            file,
                            line,
                            label,
                            field_name,
                            wrong,
                            "generate one: whsec_ + base64 of 32 random bytes",
                        )
                    )
                    continue
            values[field_name] = value
        channels[config.name] = ResolvedChannel(config, values)
    routes: list[Route] = []
    for index, item in enumerate(raw.get("routes") or []):
        label = f"routes[{index}]"
        if not isinstance(item, LocatedDict):
            problems.append(
                Problem(file, raw.key_lines.get("routes"), label, None, "each route is a mapping")
            )
            continue
        defined = {str(c.get("name")) for c in raw.get("channels") or [] if isinstance(c, dict)}
        for key in ("channels", "escalate_to"):
            names = item.get(key)
            for name in names if isinstance(names, list) else []:
                if str(name) not in defined:
                    problems.append(
                        Problem(
                            file,
                            item.key_lines.get(key, item.line),
                            label,
                            key,
                            f"no channel named '{str(name)[:64]}'",
                            "name a channel defined under 'channels'",
                        )
                    )
        route = _validate(Route, item, label, file, problems)
        if route is None:
            continue
        assert isinstance(route, Route)
        routes.append(route)
    if problems or top is None:
        raise InventoryError(problems, summary=f"the channels file {file} has {len(problems)} problem(s)")
    assert isinstance(top, ChannelsFile)
    return Channels(path, top.language, ZoneInfo(top.timezone), top.noc_url, top.retry, channels, routes)


def _validate(
    model: type[Strict], raw: LocatedDict, label: str, file: str, problems: list[Problem]
) -> Strict | None:
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        problems.extend(
            problem_from_error(model, label, file, raw, err) for err in exc.errors(include_url=False)
        )
        return None
