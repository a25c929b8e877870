"""Alembic's environment for the store: runs on the connection govnet hands it.

govnet opens the store and upgrades it itself (:func:`govnet.monitor.store.migrate.upgrade`, or
``govnet monitor db upgrade``): the connection, already inside its transaction (and, on
PostgreSQL, holding the schema lock), is in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

import govnet.monitor.notify.outbox  # noqa: F401 - its table (notify_outbox) is part of the store
from govnet.monitor.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the store's migrations run through govnet (govnet monitor db upgrade)")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
