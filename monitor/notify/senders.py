"""Delivering one message through one channel: a signed webhook, e-mail, Telegram, apprise.

Each sender raises :class:`DeliveryError` with a short reason when the channel did not take the
message; the reason never holds a secret (a Telegram token sits in the Bot API URL, an apprise URL
carries its service's credentials, an SMTP server may echo a login): errors are worded here, not
passed through. Every channel gets plain text (Telegram without a parse mode, e-mail as
``text/plain``), so names from the inventory never become markup.
"""

from __future__ import annotations

import asyncio
import base64
import json
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from ipaddress import IPv4Address
from typing import Any
from urllib.parse import urlsplit

import httpx

from govnet.errors import GovnetError
from govnet.monitor.notify import signing
from govnet.monitor.notify.channels import (
    AppriseChannel,
    EmailChannel,
    ResolvedChannel,
    TelegramChannel,
    WebhookChannel,
)
from govnet.safety import check_target

#: Telegram's limit on one message's text.
TELEGRAM_MAX = 4096


class DeliveryError(GovnetError):
    """A channel did not take a message (the reason holds no secret)."""


class ReceiverGoneError(DeliveryError):
    """A webhook receiver answered 410 Gone: per Standard Webhooks, stop sending to it."""


def body_bytes(body: dict[str, Any]) -> bytes:
    """The exact bytes a webhook posts (and signs): compact JSON, UTF-8."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _guard_host(host: str | None) -> None:
    """The safety interlock for an address literal (a name is the resolver's business)."""
    if not host:
        return
    try:
        address = IPv4Address(host)
    except ValueError:
        return
    check_target(address)


async def send(channel: ResolvedChannel, message_id: str, payload: dict[str, Any], now: float) -> str:
    """Deliver one message; returns a short description of the receipt.

    Any failure is a :class:`DeliveryError`: an unexpected exception too, worded by its type only
    (its text may hold a secret), so one channel's trouble never stops the others.
    """
    try:
        return await _send(channel, message_id, payload, now)
    except DeliveryError:
        raise
    except Exception as exc:
        raise DeliveryError(f"unexpected {type(exc).__name__} while sending") from exc


async def _send(channel: ResolvedChannel, message_id: str, payload: dict[str, Any], now: float) -> str:
    config = channel.config
    if isinstance(config, WebhookChannel):
        return await _webhook(config, channel.secrets["secret"].get_secret_value(), message_id, payload, now)
    if isinstance(config, EmailChannel):
        password = channel.secrets.get("password")
        return await asyncio.to_thread(
            _email,
            config,
            None if password is None else password.get_secret_value(),
            message_id,
            payload,
            now,
        )
    if isinstance(config, TelegramChannel):
        return await _telegram(config, channel.secrets["token"].get_secret_value(), payload)
    assert isinstance(config, AppriseChannel)
    return await asyncio.to_thread(_apprise, config, channel.secrets["url"].get_secret_value(), payload)


async def _webhook(
    config: WebhookChannel, secret: str, message_id: str, payload: dict[str, Any], now: float
) -> str:
    _guard_host(urlsplit(config.url).hostname)
    body = body_bytes(payload["body"])
    headers = {
        "content-type": "application/json",
        "user-agent": "govnet-notify",
        **signing.headers(secret, message_id, body, now),
    }
    try:
        async with httpx.AsyncClient(
            timeout=config.timeout, follow_redirects=False, trust_env=False
        ) as client:
            response = await client.post(config.url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"no answer from the webhook within {config.timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"the webhook could not be reached ({type(exc).__name__})") from exc
    if response.status_code == 410:
        raise ReceiverGoneError("the webhook answered HTTP 410 Gone: the receiver retired this endpoint")
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"the webhook answered HTTP {response.status_code}")
    return f"HTTP {response.status_code}"


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """Log in with AUTH PLAIN in UTF-8 (RFC 4616) when offered: one attempt, and a Vietnamese name
    or password works (smtplib's ``login`` sends ASCII only and tries mechanism after mechanism);
    otherwise smtplib's choice."""
    smtp.ehlo_or_helo_if_needed()
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        if not (username.isascii() and password.isascii()):
            raise DeliveryError("the SMTP server does not offer AUTH PLAIN, needed for a non-ASCII login")
        smtp.login(username, password)
        return
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, answer = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _email(
    config: EmailChannel, password: str | None, message_id: str, payload: dict[str, Any], now: float
) -> str:
    _guard_host(config.host)
    msg = EmailMessage()
    msg["Subject"] = " ".join(str(payload["subject"]).split())[:250]
    msg["From"] = config.sender
    msg["To"] = ", ".join(config.to)
    msg["Date"] = format_datetime(datetime.fromtimestamp(now, UTC))
    msg["Message-ID"] = make_msgid(idstring=message_id, domain=config.sender.rpartition("@")[2])
    msg.set_content(str(payload["text"]) + "\n")
    for item in payload.get("attachments", []):  # the monthly report's files
        main, _, sub = str(item["media_type"]).split(";")[0].strip().partition("/")
        data = base64.b64decode(item["data"])
        msg.add_attachment(data, maintype=main, subtype=sub, filename=str(item["filename"]))
    try:
        context = ssl.create_default_context(cafile=None if config.ca_file is None else str(config.ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"cannot read the CA file {config.ca_file} ({type(exc).__name__})") from exc
    try:
        if config.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with smtp:
            if config.security == "starttls":
                smtp.starttls(context=context)
            if config.username is not None and password is not None:
                _login(smtp, config.username, password)
            refused = smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"the SMTP server refused the login (code {exc.smtp_code})") from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"the SMTP server answered {exc.smtp_code}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"the SMTP server refused every recipient ({len(exc.recipients)})") from exc
    except ssl.SSLError as exc:
        raise DeliveryError(
            f"TLS with the SMTP server {config.host}:{config.port} failed ({exc.reason})"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"the SMTP server {config.host}:{config.port} could not be used ({type(exc).__name__})"
        ) from exc
    if refused:
        raise DeliveryError(f"the SMTP server refused {len(refused)} of {len(config.to)} recipients")
    return f"accepted by {config.host}:{config.port} for {len(config.to)} recipient(s)"


async def _telegram(config: TelegramChannel, token: str, payload: dict[str, Any]) -> str:
    _guard_host(urlsplit(config.api_url).hostname)
    url = f"{config.api_url.rstrip('/')}/bot{token}/sendMessage"
    text = str(payload["text"])
    if len(text) > TELEGRAM_MAX:
        text = text[: TELEGRAM_MAX - 1] + "…"
    data = {"chat_id": config.chat_id, "text": text, "disable_web_page_preview": True}
    try:
        async with httpx.AsyncClient(
            timeout=config.timeout, follow_redirects=False, trust_env=False
        ) as client:
            response = await client.post(url, json=data)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"no answer from the Telegram Bot API within {config.timeout:g} s") from exc
    except httpx.HTTPError as exc:  # its text would name the URL, and so the token
        raise DeliveryError(f"the Telegram Bot API could not be reached ({type(exc).__name__})") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200 or not isinstance(answer, dict) or answer.get("ok") is not True:
        reason = answer.get("description") if isinstance(answer, dict) else None
        words = f": {str(reason)[:120]}" if reason else ""
        raise DeliveryError(
            f"the Telegram Bot API answered HTTP {response.status_code}{words}".replace(token, "***")
        )
    return "accepted by the Telegram Bot API"


def _apprise(config: AppriseChannel, url: str, payload: dict[str, Any]) -> str:
    # apprise is imported here: it loads every one of its service plugins, which takes a while and
    # is only needed when a channel uses it.
    import apprise  # noqa: PLC0415  (apprise: only for an apprise channel)

    target = apprise.Apprise()
    if not target.add(url):
        raise DeliveryError("apprise does not understand the channel's URL (see apprise's URL formats)")
    ok = target.notify(
        title=str(payload["subject"]), body=str(payload["text"]), body_format=apprise.NotifyFormat.TEXT
    )
    if not ok:
        raise DeliveryError("the apprise service did not take the message")
    return "accepted through apprise"
