"""What every command shares: where the inventory and secrets are, loaded once on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from govnet.cli.options import GlobalOptions
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
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
        return self.inventory_path if self.inventory_path is not None else sample_dir()

    def network(self) -> Network:
        """The loaded, validated network (raises :class:`govnet.errors.InventoryError`)."""
        if self._network is None:
            self._network = load_inventory(self.inventory_dir, self.secrets_path)
        return self._network


def app_context(ctx: typer.Context) -> AppContext:
    """The :class:`AppContext` of this run, made from the root's :class:`GlobalOptions` once."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, AppContext):
        options = obj if isinstance(obj, GlobalOptions) else GlobalOptions()
        obj = AppContext(inventory_path=options.inventory, secrets_path=options.secrets)
        root.obj = obj
    return obj
