"""The outbound webhooks in the OpenAPI document (OpenAPI 3.1 ``webhooks``).

Besides the pull API, govnet posts a signed JSON body to each webhook channel on every incident
and (for channels that ask for ``endpoint`` events) every endpoint state change. The requests are
signed per Standard Webhooks: ``webhook-id`` (the same on every retry: de-duplicate on it),
``webhook-timestamp`` (the attempt's, UNIX seconds) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed with the base64-decoded part of the
``whsec_`` secret). A 2xx answer acknowledges; 410 Gone disables the channel (the message is not
retried, until ``govnet notify enable``); anything else is retried with back-off, in order.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Header

from govnet.monitor.notify.schema import EndpointWebhook, IncidentWebhook, ReportWebhook, TrialWebhook

_SIGNED = (
    "Signed per Standard Webhooks: verify `webhook-signature` (`v1,` + base64 HMAC-SHA256 of "
    "`{webhook-id}.{webhook-timestamp}.{raw body}`, keyed with the base64-decoded part of the "
    "channel's `whsec_` secret), refuse a timestamp more than 5 minutes off, and drop a `webhook-id` "
    "already seen (a retry after a lost answer). Answer 2xx to acknowledge; anything else is "
    "retried with back-off, and later messages wait so that the order is kept; 410 Gone retires the "
    "endpoint: the message is not retried and the channel is disabled."
)

WebhookId = Annotated[
    str, Header(alias="webhook-id", description="Unique per message; the same on every retry.")
]
WebhookTimestamp = Annotated[
    str, Header(alias="webhook-timestamp", description="When this attempt was made (UNIX seconds).")
]
WebhookSignature = Annotated[
    str, Header(alias="webhook-signature", description="Space-separated `v1,<base64 signature>` list.")
]

_ANSWERS: dict[int | str, dict[str, str]] = {
    "2XX": {"description": "Received: the message is not sent again."},
    "410": {"description": "Gone: not retried; the channel is disabled until 'govnet notify enable'."},
    "default": {"description": "Not received: retried with back-off (later messages wait)."},
}


def register_webhooks(app: FastAPI) -> None:
    """Describe the webhooks on ``app`` (they appear in its OpenAPI document only)."""

    @app.webhooks.post(
        "incident",
        summary="An incident opened, changed, closed, reminded or escalated",
        description=_SIGNED,
        responses=_ANSWERS,
    )
    def incident(
        body: IncidentWebhook,
        webhook_id: WebhookId,
        webhook_timestamp: WebhookTimestamp,
        webhook_signature: WebhookSignature,
    ) -> None:
        """Sent to the channels whose routes match (severity, district, commune, service level)."""

    @app.webhooks.post(
        "endpoint",
        summary="An agency, BTS site or hotspot lost or regained the core",
        description=_SIGNED,
        responses=_ANSWERS,
    )
    def endpoint(
        body: EndpointWebhook,
        webhook_id: WebhookId,
        webhook_timestamp: WebhookTimestamp,
        webhook_signature: WebhookSignature,
    ) -> None:
        """Sent to the channels whose routes take `endpoint` events (the IOC's status feed)."""

    @app.webhooks.post(
        "report",
        summary="Last month's availability report",
        description=_SIGNED,
        responses=_ANSWERS,
    )
    def report(
        body: ReportWebhook,
        webhook_id: WebhookId,
        webhook_timestamp: WebhookTimestamp,
        webhook_signature: WebhookSignature,
    ) -> None:
        """Sent on the 1st of each month to the channels that take `report` events."""

    @app.webhooks.post(
        "test", summary="A test message (govnet notify test)", description=_SIGNED, responses=_ANSWERS
    )
    def test(
        body: TrialWebhook,
        webhook_id: WebhookId,
        webhook_timestamp: WebhookTimestamp,
        webhook_signature: WebhookSignature,
    ) -> None:
        """Sent by `govnet notify test --channels FILE`."""
