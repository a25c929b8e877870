"""The network from the parsed entries: every rule and every secret checked, or every problem raised."""

from __future__ import annotations

import os
from pathlib import Path

from govnet.errors import InventoryError
from govnet.inventory.checks.rules import Indexed, check_rules
from govnet.inventory.checks.secrets import generate_pending, resolve_secrets
from govnet.inventory.models import SECTIONS, Link, Province
from govnet.inventory.network import Network, ResolvedSecrets
from govnet.inventory.parsed import Entry, Parsed
from govnet.inventory.secrets import SecretStore


def _entry_name(entry: Entry) -> str:
    model = entry.model
    if isinstance(model, Link):
        return model.id
    return str(getattr(model, SECTIONS[entry.section][1], entry.index))


def _network(root: Path, found: Indexed, province: Province, secrets: ResolvedSecrets) -> Network:
    return Network(
        path=root,
        province=province,
        subnets={k: e.model for k, e in found.subnets.items()},  # type: ignore[misc]
        credentials={k: e.model for k, e in found.credentials.items()},  # type: ignore[misc]
        snmp_profiles={k: e.model for k, e in found.snmp_profiles.items()},  # type: ignore[misc]
        ducts={k: e.model for k, e in found.ducts.items()},  # type: ignore[misc]
        sites={k: e.model for k, e in found.sites.items()},  # type: ignore[misc]
        devices={k: e.model for k, e in found.devices.items()},  # type: ignore[misc]
        agencies={k: e.model for k, e in found.agencies.items()},  # type: ignore[misc]
        links=[e.model for e in found.by_section["links"]],  # type: ignore[misc]
        secrets=secrets,
        sources={
            (e.section, _entry_name(e)): (e.file, e.line) for es in found.by_section.values() for e in es
        },
    )


def build_network(root: Path, parsed: Parsed, secrets_path: Path | None = None) -> Network:
    """Run every whole-inventory check; return the network or raise with every problem."""
    if secrets_path is None and not os.environ.get("GOVNET_SECRETS"):
        own = next((e.model.secrets_file for e in parsed.entries if isinstance(e.model, Province)), None)
        if own:
            secrets_path = (root / own).resolve()
    store = SecretStore(secrets_path)
    store.check_location(root)
    problems = parsed.problems
    found = check_rules(parsed)
    secrets, pending = resolve_secrets(found.by_section["credentials"], store, problems)
    if problems or found.province is None:
        raise InventoryError(problems, summary=f"the inventory at {root} has {len(problems)} problem(s)")
    # Secrets may be generated only when everything else is sound: a broken inventory writes nothing.
    generate_pending(secrets, pending, store)
    return _network(root, found, found.province, secrets)
