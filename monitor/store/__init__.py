"""The link-health store: current state and history, in SQLite (default) or PostgreSQL.

One code path for both backends (SQLAlchemy Core, a connection pool), its schema under Alembic
migrations (``migrations/``; a store is upgraded when opened, or by ``govnet monitor db upgrade``):

* **current** — the latest state of every device, link and endpoint (agency, BTS, hotspot);
* **changes** — every state change, with where it came from (``poll``, ``trap``, ``correlation``);
* **samples** — per-interface rates per poll; older ones are rolled up into **samples_hourly**
  (average and maximum per hour, in SQL) by :meth:`Store.prune`, then deleted;
* **polls** — one row per device scrape (which shard, how long, how many varbinds, the error);
* **incidents** — root cause, blast radius (JSON), opened/closed, acknowledgement;
* **maintenance** — declared windows, excluded from availability.

Records (``records``), tables (``schema``), one repository per aggregate (``states``,
``samples``, ``incidents``, ``maintenance``) and the :class:`Store` over them (``facade``).
Every write method is one transaction. Timestamps are UNIX seconds (float).
"""

from __future__ import annotations

import os
from pathlib import Path

from govnet.monitor.store.database import mask_url
from govnet.monitor.store.facade import Store, open_database
from govnet.monitor.store.records import (
    Change,
    IncidentRow,
    PollRecord,
    PruneReport,
    Sample,
    StateRow,
    StateUpdate,
    StoreError,
    Window,
)
from govnet.paths import state_home

__all__ = [
    "Change",
    "IncidentRow",
    "PollRecord",
    "PruneReport",
    "Sample",
    "StateRow",
    "StateUpdate",
    "Store",
    "StoreError",
    "Window",
    "default_store_url",
    "mask_url",
    "open_store",
    "store_url",
    "upgrade_store",
]


def default_store_url() -> str:
    """SQLite under the state directory."""
    return f"sqlite:///{state_home() / 'monitor.db'}"


def store_url(url: str | None = None) -> str:
    """The URL meant: ``url``, else ``GOVNET_STORE``, else the default; a plain path is SQLite's.

    >>> store_url("/var/lib/govnet/monitor.db")
    'sqlite:////var/lib/govnet/monitor.db'
    >>> store_url("postgresql://govnet@db.example/govnet")
    'postgresql://govnet@db.example/govnet'
    """
    url = url or os.environ.get("GOVNET_STORE") or default_store_url()
    if "://" not in url:
        return f"sqlite:///{Path(url).absolute()}"
    return url


def open_store(url: str | None = None) -> Store:
    """Open the store at ``url`` (``sqlite:///PATH``, a plain path, or ``postgresql://...``),
    upgrading its schema to this govnet's."""
    return Store(open_database(store_url(url)))


def upgrade_store(url: str | None = None) -> tuple[str | None, str]:
    """Upgrade the store's schema to this govnet's; return (revision before, revision after)."""
    db = open_database(store_url(url))
    db.dispose()
    assert db.revisions is not None
    return db.revisions
