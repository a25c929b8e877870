"""The session lab for integration tests: brought up once, always torn down."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from govnet.inventory.loader import load_inventory
from govnet.inventory.models import SNMPv3Credential
from govnet.inventory.network import Network

#: Parallel test runs on one machine (two work trees, helpers) each take a lane with
#: ``GOVNET_TEST_LANE=N`` (0-12): lane 0 is the default below; lane N>0 moves every prefix, management
#: subnet and trap port the tests use, so two runs never share a lab, an address or a port.
#: Under pytest-xdist each worker (gw0, gw1, ...) takes the next lane from the base one.
LANE = int(os.environ.get("GOVNET_TEST_LANE", "0") or 0) + int(
    os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0
)
if not 0 <= LANE <= 12:
    raise RuntimeError(f"test lane {LANE} (GOVNET_TEST_LANE plus the xdist worker number): use 0 to 12")


def _lane_subnet(default: str, slot: int) -> str:
    """Lane 0 keeps ``default``; lanes 1-6 take 198.18.(234+3N+slot).0/24 and lanes 7-12
    198.18.(100+3(N-7)+slot).0/24 (both unused by the sample's address plan)."""
    if LANE == 0:
        return default
    third = 234 + 3 * LANE + slot if LANE <= 6 else 100 + 3 * (LANE - 7) + slot
    return f"198.18.{third}.0/24"


#: Prefix of the tests' lab (a developer's own 'gvl' lab may be up at the same time) and of the
#: throw-away labs that lifecycle tests build on another management subnet.
#: Lab prefixes are letters only: lane N writes its number as a letter (1 -> a, 2 -> b, ...).
_L = "v" if LANE == 0 else "abcdefhijkmn"[LANE - 1]
TEST_PREFIX = f"g{_L}t"
SCRATCH_PREFIX = f"g{_L}x"
SCRATCH_SUBNET = _lane_subnet("198.18.200.0/24", 2)  # unused by the sample's address plan
#: The session lab's management subnet: not the inventory's, so a developer's own lab can stay up.
TEST_SUBNET = _lane_subnet("198.51.100.0/24", 0)
#: Where a session lab goes when its own subnet is taken (by a lab someone left up by hand):
#: the tests still run, on a spare range, and the left-over lab is not touched.
SPARE_SUBNETS = ("198.18.230.0/24", "198.18.231.0/24", "198.18.232.0/24", "198.18.233.0/24")
#: Trap ports: the session lab's, the bare lab's (+1) and the scratch lab's (+2).
TRAP_PORT = 10162 + 10 * LANE
#: The bare (day-0) lab provisioning tests push to.
BARE_PREFIX = f"g{_L}p"
BARE_SUBNET = _lane_subnet("198.18.220.0/24", 1)


@dataclass
class LabHandle:
    """What a test needs to reach the lab: names, addresses and credentials."""

    prefix: str
    inventory: Path
    network: Network
    namespaces: dict[str, str]
    mgmt: dict[str, str]
    routers: list[str]
    subnet: str

    def no_node(self, n: int = 0) -> str:
        """An address in the lab's management subnet that no node has (from the top down)."""
        hosts = list(IPv4Network(self.subnet).hosts())
        free = [str(h) for h in reversed(hosts) if str(h) not in self.mgmt.values()]
        return free[n]

    def secret(self, credential: str, field: str) -> str:
        """A lab secret in clear (tests only)."""
        return self.network.secrets.get(credential, field).get_secret_value()

    @property
    def community(self) -> str:
        """The lab's SNMP v2c community."""
        return self.secret("lab-snmp-v2c", "community")

    @property
    def v3(self) -> tuple[str, str, str]:
        """(user, auth key, priv key) of the lab's SNMP v3 user."""
        cred = self.network.credentials["lab-snmp-v3"]
        assert isinstance(cred, SNMPv3Credential)
        return (
            cred.username,
            self.secret("lab-snmp-v3", "auth_key"),
            self.secret("lab-snmp-v3", "priv_key"),
        )


def handle(prefix: str) -> LabHandle:
    """A handle on a lab that is up."""
    from govnet.lab.state import lab_dir, load_state

    state = load_state(prefix)
    assert state is not None, f"lab {prefix} is not up"
    inventory = lab_dir(prefix) / "inventory"
    return LabHandle(
        prefix=prefix,
        inventory=inventory,
        network=load_inventory(inventory),
        namespaces={n.name: n.namespace for n in state.nodes.values()},
        mgmt={n.name: n.mgmt_ip for n in state.nodes.values()},
        routers=[n.name for n in state.nodes.values() if n.kind == "router"],
        subnet=str(state.mgmt_subnet),
    )


def lab_skip_reason() -> str | None:
    """Why lab tests cannot run here, or None. In CI they must run."""
    from govnet.lab.host import missing_prerequisites

    problems = missing_prerequisites()
    if problems and os.environ.get("CI"):
        raise RuntimeError("CI must run the lab tests, but: " + "; ".join(problems))
    return "; ".join(problems) if problems else None


def edited_copy(
    lab: LabHandle,
    dest: Path,
    edit_network: Callable[[dict[str, Any]], None] | None = None,
    edit_province: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """A copy of the lab's inventory (secrets still the lab's), edited as a test needs."""
    import shutil

    import yaml

    from govnet.lab.state import lab_dir

    shutil.copytree(lab.inventory, dest)
    files = {
        name: yaml.safe_load((dest / name).read_text(encoding="utf-8"))
        for name in ("province.yaml", "network.yaml")
    }
    files["province.yaml"]["province"]["secrets_file"] = str(lab_dir(lab.prefix) / "secrets.yaml")
    if edit_province:
        edit_province(files["province.yaml"])
    if edit_network:
        edit_network(files["network.yaml"])
    for name, data in files.items():
        (dest / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return dest


def link_between(network: dict[str, Any], a: str, b: str) -> dict[str, Any]:
    """The raw YAML entry of the link between two devices."""
    return next(lk for lk in network["links"] if {lk["a"].split(":")[0], lk["b"].split(":")[0]} == {a, b})
