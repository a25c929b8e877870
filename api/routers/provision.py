"""``/provision/dry-run``: an engineer asks what a rollout would change. It never changes anything.

The API does not push configurations: this route can only run the rollout in ``diff`` mode (the
same code as ``govnet provision diff``), for the devices the filters select, within the caller's
district when the token is scoped.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from govnet.api.authn import client_address, too_many
from govnet.api.deps import ERRORS, Engineer, State, forbid_district

router = APIRouter(prefix="/provision", tags=["provisioning"], responses=ERRORS)


class DryRun(BaseModel):
    """Which devices: ``key=value`` filters as on the command line (name globs, role, district…)."""

    model_config = ConfigDict(extra="forbid")
    filter: list[str] = Field(
        default_factory=list, max_length=20, examples=[["role=hub", "district=dong-xoai"]]
    )
    workers: int = Field(default=16, ge=1, le=64)


@router.post("/dry-run", summary="What a rollout would change, per device (engineer; changes nothing)")
async def dry_run(body: DryRun, request: Request, state: State, caller: Engineer) -> Any:
    """The ``provision diff --json`` report for the selected devices.

    Each dry run opens SSH sessions to its devices: only a few run at once (429 with
    ``Retry-After`` beyond them). Every dry run is recorded in the audit log with its filters.

    District scope: the scope is a ceiling, not one more filter. A district-scoped token's
    ``district=`` filter may only name its own district (anything else, a glob included, is 403),
    and whatever the other filters select (names, sites, roles), only its district's devices are
    diffed: a filter selecting none of them answers an empty report. A commune-scoped token's
    ceiling is its commune's devices.
    """
    # Deferred: the rollout loads nornir, napalm and netmiko (about 2 s), needed by this route only.
    from govnet.tasks.provision import select  # noqa: PLC0415  (nornir, napalm: dry runs only)
    from govnet.tasks.rollout import rollout  # noqa: PLC0415  (as above)

    filters = list(body.filter)
    if caller.district is not None:
        for item in filters:
            key, _, value = item.partition("=")
            others = [v for v in value.split(",") if v and v != caller.district]
            if key.strip() == "district" and others:
                forbid_district(caller, others[0])
    names = select(state.network, filters)
    mine = state.scope(caller)
    names = [n for n in names if mine.everything or n in mine.devices]
    address = client_address(request)
    target = f"filter {' '.join(filters) or '(all)'}: {len(names)} devices"
    if not state.dry_runs.take():
        refused = "refused: too many at once"
        await asyncio.to_thread(state.audit.record, caller, "provision.dry-run", target, address, refused)
        raise too_many(10, f"{state.dry_runs.limit} dry runs are already running")
    try:
        results = await run_in_threadpool(rollout, state.network, names, mode="diff", workers=body.workers)
    except Exception as exc:
        failed = f"failed: {type(exc).__name__}"
        await asyncio.to_thread(state.audit.record, caller, "provision.dry-run", target, address, failed)
        raise
    finally:
        state.dry_runs.give_back()
    await asyncio.to_thread(state.audit.record, caller, "provision.dry-run", target, address, "ok")
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return {"mode": "diff", "dry_run": True, "summary": counts, "devices": [r.as_dict() for r in results]}
