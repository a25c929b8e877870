"""Delivering one message through one channel: a signed webhook, e-mail, Telegram, apprise.

Each sender raises :class:`DeliveryError` with a short reason when the channel did not take the
message; the reason never holds a secret (a Telegram token sits in the Bot API URL, an apprise URL
carries its service's credentials, an SMTP server may echo a login): errors are worded here, not
passed through. Every channel gets plain text (Telegram without a parse mode, e-mail as
``text/plain``), so names from the inventory never become markup.
"""

from __future__ import annotations

import asyncio
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
    """Deliver one message; returns a short description of the receipt."""
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
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"the webhook answered HTTP {response.status_code}")
    return f"HTTP {response.status_code}"


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
    context = ssl.create_default_context()
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
                smtp.login(config.username, password)
            refused = smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"the SMTP server refused the login (code {exc.smtp_code})") from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"the SMTP server answered {exc.smtp_code}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"the SMTP server refused every recipient ({len(exc.recipients)})") from exc
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
    import apprise

    target = apprise.Apprise()
    if not target.add(url):
        raise DeliveryError("apprise does not understand the channel's URL (see apprise's URL formats)")
    ok = target.notify(
        title=str(payload["subject"]), body=str(payload["text"]), body_format=apprise.NotifyFormat.TEXT
    )
    if not ok:
        raise DeliveryError("the apprise service did not take the message")
    return "accepted through apprise"
