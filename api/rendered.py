"""Answers rendered once (per store version) and served as bytes: plain and gzip, with their ETags.

The most polled answers (``/summary``, ``/agencies`` pages) are built in a worker thread when the
store changes and then served to every caller as they are (:class:`Prerendered`). A body big
enough to gain is also compressed then, once: a caller whose ``Accept-Encoding`` allows gzip (every
browser, httpx, requests, curl ``--compressed``) gets those bytes, a tenth of the size for an
agencies page, at no compression cost per request. Both variants say ``Vary: Accept-Encoding``;
each has its own strong ETag (the gzip one ends in ``.gz``), and ``If-None-Match`` naming the
variant's ETag is answered 304. These answers hold no secret and echo nothing from the request,
so compressing them gives nothing away.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request, Response

from govnet.api.hotpath import Prerendered, raw_headers

#: Bodies under this many bytes are served plain only (a gzip member costs ~20 bytes and a header).
MIN_GZIP = 1024
#: Distinct ``Accept-Encoding`` values remembered with their verdict (clients send a handful).
_MAX_REMEMBERED = 256
_ACCEPTS: dict[str, bool] = {}


@dataclass(frozen=True)
class Variant:
    """One representation: its body, its ASGI header list, its ETag (None: no ETag)."""

    body: bytes
    raw: list[tuple[bytes, bytes]]
    etag: str | None
    #: The headers a 304 for this variant repeats (ETag, Cache-Control, Last-Modified, Vary).
    validators: dict[str, str]


@dataclass(frozen=True)
class Rendered:
    """An answer ready to serve: plain, and gzip when the body is big enough to gain."""

    plain: Variant
    gzipped: Variant | None


def prerender(
    body: bytes, headers: Mapping[str, str], media_type: str = "application/json", etag: bool = False
) -> Rendered:
    """Both variants of ``body`` (``headers`` are added to each; ``etag``: give each a strong ETag)."""
    if len(body) < MIN_GZIP:
        return Rendered(_variant(body, dict(headers), media_type, etag, None), None)
    common = {**headers, "Vary": "Accept-Encoding"}
    packed = gzip.compress(body, compresslevel=6, mtime=0)
    return Rendered(
        _variant(body, common, media_type, etag, None),
        _variant(packed, common, media_type, etag, body),
    )


def _variant(
    body: bytes, headers: dict[str, str], media_type: str, etag: bool, plain: bytes | None
) -> Variant:
    tag = None
    if etag:
        digest = hashlib.sha256(body if plain is None else plain).hexdigest()[:32]
        tag = f'"{digest}"' if plain is None else f'"{digest}.gz"'
        headers = {"ETag": tag, **headers}
    if plain is not None:
        headers = {**headers, "Content-Encoding": "gzip"}
    validators = {k: v for k, v in headers.items() if k in ("ETag", "Cache-Control", "Last-Modified", "Vary")}
    return Variant(body, raw_headers(body, headers, media_type), tag, validators)


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (RFC 9110: ``gzip``, ``x-gzip`` or ``*``
    with a non-zero weight); the verdict per distinct value is remembered."""
    if not header:
        return False
    found = _ACCEPTS.get(header)
    if found is None:
        found = _allows_gzip(header)
        if len(_ACCEPTS) >= _MAX_REMEMBERED:
            _ACCEPTS.clear()
        _ACCEPTS[header] = found
    return found


def _allows_gzip(header: str) -> bool:
    weights: dict[str, float] = {}
    for part in header.split(","):
        coding, _, params = part.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        weights[coding.strip().lower()] = weight
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return 0.0 < weights[coding] <= 1.0
    return False


def answer(request: Request, rendered: Rendered) -> Response:
    """The variant the caller accepts; 304 when ``If-None-Match`` names its ETag."""
    variant = rendered.plain
    if rendered.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding")):
        variant = rendered.gzipped
    if variant.etag is not None and request.headers.get("if-none-match") == variant.etag:
        return Response(status_code=304, headers=variant.validators)
    return Prerendered(variant.body, variant.raw)
