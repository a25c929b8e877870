"""``/devices/{device}/interfaces/{interface}/history``: one interface's traffic over a window."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from govnet.api.deps import DEVICE, ERRORS, Noc, State, forbid_district, not_found
from govnet.monitor.history import interface_history

router = APIRouter(tags=["network"], responses=ERRORS)


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

    District scope: a district-scoped token gets its district's devices only (403 otherwise).
    """
    known = state.network.devices.get(device)
    if known is None or interface not in known.interfaces:
        raise not_found(f"interface '{interface}' on device '{device}'", "/api/v1/devices")
    forbid_district(caller, state.network.district_of(device))
    return interface_history(state.store, state.series, device, interface, window, time.time())
