"""``/devices/{device}/interfaces/{interface}/history``: one interface's traffic over a window."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status

from govnet.api.deps import (
    DEVICE,
    ERRORS,
    ErrorBody,
    Noc,
    State,
    forbid_site,
    not_found,
)
from govnet.monitor.history import interface_history
from govnet.monitor.series import SeriesError

router = APIRouter(
    tags=["network"],
    responses={
        **ERRORS,
        503: {"model": ErrorBody, "description": "The time-series database is away or not VictoriaMetrics"},
    },
)


@router.get(
    "/devices/{device}/interfaces/{interface}/history",
    summary="One interface's traffic, utilisation and errors over 1 h, 24 h or 30 d",
)
def history(
    state: State,
    caller: Noc,
    device: Annotated[str, Path(pattern=DEVICE)],
    interface: Annotated[str, Path(min_length=1, max_length=64)],
    window: Annotated[Literal["1h", "24h", "30d"], Query(description="How far back.")] = "1h",
) -> Any:
    """Series as ``{metric: [[unix time, value], ...]}``, from VictoriaMetrics when the server was
    started with ``--series``, from the store's samples (up to 24 h) and hourly rollups otherwise;
    ``source`` says which.

    District scope: a district-scoped token gets its district's devices only (403 otherwise); a
    commune-scoped token its commune's.
    """
    known = state.network.devices.get(device)
    if known is None:
        raise not_found(f"device '{device}'", "/api/v1/devices")
    # The scope first: a 404 for a wrong interface name and a 403 for a right one would let a
    # district-scoped token list another district's interfaces.
    forbid_site(caller, state.scope(caller), known.site, state.network.district_of(device))
    if interface not in known.interfaces:
        raise not_found(f"interface '{interface}' on device '{device}'", "/api/v1/devices")
    try:
        return interface_history(state.store, state.series, device, interface, window, time.time())
    except SeriesError as exc:  # the time-series database is away or not itself: not the caller's fault
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail={"message": exc.message, "hint": exc.hint}
        ) from None
