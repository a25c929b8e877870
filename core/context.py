"""What every command shares: where the inventory and secrets are, loaded once on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from govnet.paths import sample_inventory

if TYPE_CHECKING:
    from govnet.inventory.network import Network


@dataclass
class AppContext:
    """Options given before the sub-command (``govnet --inventory DIR ...``)."""

    inventory_path: Path | None = None
    secrets_path: Path | None = None
    _network: Network | None = field(default=None, repr=False)

    @property
    def inventory_dir(self) -> Path:
        """The inventory directory: ``--inventory``, else ``$GOVNET_INVENTORY``, else the sample."""
        return self.inventory_path if self.inventory_path is not None else sample_inventory()

    def network(self) -> Network:
        """The loaded, validated network (raises :class:`govnet.errors.InventoryError`)."""
        if self._network is None:
            from govnet.inventory.loader import load_inventory

            self._network = load_inventory(self.inventory_dir, self.secrets_path)
        return self._network


def app_context(ctx: typer.Context) -> AppContext:
    """The :class:`AppContext` the root callback stored on the click context."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, AppContext):
        obj = AppContext()
        root.obj = obj
    return obj
