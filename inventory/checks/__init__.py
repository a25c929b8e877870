"""Checks that need the whole inventory, and the network they let through.

:mod:`~govnet.inventory.checks.rules` (uniqueness, cross-references, addressing),
:mod:`~govnet.inventory.checks.secrets` (every secret found and fit for a command) and
:mod:`~govnet.inventory.checks.build` (:func:`build_network`: the network only when nothing is
wrong, else every problem at once).
"""

from govnet.inventory.checks.build import build_network

__all__ = ["build_network"]
