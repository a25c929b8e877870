"""Provisioning: diff and push intended configurations through Nornir and NAPALM, in waves.

**Dry run is the default.** ``diff`` loads each device's intended configuration as a replace
candidate, reports the difference and discards it. ``push`` (only with ``commit=True``) commits
with a confirm timer, runs post-checks and confirms only when they pass; otherwise it rolls the
device back at once (and the device's own timer would have done it anyway if govnet had lost it).

**Post-checks** compare with what held *before* the push: the management session still answers,
every interface that was up is still up, every OSPF neighbour that was Full is Full again and
every BGP peer that was Established is up again (within ``settle`` seconds). Adjacencies the
push newly creates are not required, since their other end may not be configured yet.

**Waves (the rule for changes that touch uplinks).** Devices are pushed in breadth-first layers
from the core over the inventory's links (edge devices carry no transit): a device is pushed only
after every device on its path toward the core is done and healthy, so a change that breaks an
uplink is caught, and rolled back, on the upstream device before anything behind it is touched.
A canary wave of one device goes first. The rollout stops when failures exceed a threshold.
"""

from __future__ import annotations

import fnmatch
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from govnet.errors import GovnetError
from inventory.models import Role
from inventory.network import Network
from tasks.backup import mask
from tasks.context import MASK
from tasks.render import RenderError, render_device

Status = Literal["unchanged", "changed", "failed", "rolled_back", "skipped"]
EDGE = {Role.CPE, Role.BTS_ROUTER, Role.WIFI_AP}


@dataclass
class DeviceResult:
    """One device's outcome, as the ``--json`` report has it."""

    name: str
    status: Status
    diff: str = ""
    error: str | None = None
    wave: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def mask_secrets(self, secrets: set[str]) -> None:
        """Mask secret values in the diff and the error before the result leaves the task: a
        vendor's running config shows communities in clear, and a sent line may hold a key."""
        self.diff = mask(self.diff, secrets)
        self.error = mask(self.error, secrets) if self.error else self.error


def select(network: Network, filters: list[str]) -> list[str]:
    """Devices matching every ``key=value`` filter (name accepts globs; several values of one key OR).

    Keys: ``name``, ``role``, ``district``, ``platform``, ``site``.
    """
    wanted: dict[str, list[str]] = {}
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or key not in {"name", "role", "district", "platform", "site"}:
            raise GovnetError(
                f"cannot read filter '{item}'", hint="use name=GLOB, role=R, district=D, platform=P or site=S"
            )
        wanted.setdefault(key, []).extend(v for v in value.split(",") if v)
    out = []
    for name in sorted(network.devices):
        dev = network.devices[name]
        facts = {
            "name": name,
            "role": dev.role.value,
            "district": network.district_of(name),
            "platform": dev.platform,
            "site": dev.site,
        }
        if all(any(fnmatch.fnmatchcase(facts[k], v) for v in values) for k, values in wanted.items()):
            out.append(name)
    return out


def waves(network: Network, devices: list[str], canary: int = 1) -> list[list[str]]:
    """The devices in push order: a canary wave, then breadth-first layers from the core."""
    chosen = set(devices)
    depth: dict[str, int] = {}
    queue: deque[str] = deque()
    for dev in network.devices_with_role(Role.CORE):
        depth[dev.name] = 0
        queue.append(dev.name)
    while queue:
        node = queue.popleft()
        if depth[node] > 0 and network.devices[node].role in EDGE:
            continue  # edge devices end paths
        for link in network.links_by_device.get(node, []):
            other = link.b_device if link.a_device == node else link.a_device
            if other not in depth:
                depth[other] = depth[node] + 1
                queue.append(other)
    far = max(depth.values(), default=0) + 1
    ordered = sorted(chosen, key=lambda d: (depth.get(d, far), d))
    layers: list[list[str]] = []
    for name in ordered:
        level = depth.get(name, far)
        if not layers or depth.get(layers[-1][0], far) != level:
            layers.append([])
        layers[-1].append(name)
    if canary and layers and len(layers[0]) > canary:
        first = layers.pop(0)
        layers[:0] = [first[:canary], first[canary:]]
    elif canary and len(layers) > 1 and len(layers[0]) == canary:
        pass  # the first layer is already a canary-sized wave
    return [layer for layer in layers if layer]


# --------------------------------------------------------------------------- per device


Connect = Callable[[str], Any]  # device name -> an open NAPALM driver


def _open(
    network: Network, name: str, connect: Connect, config: str | None, *, push: bool = False
) -> tuple[str, Any] | DeviceResult:
    """The configuration to load and an open driver, or the failed result that stops here.

    A push never sends a configuration with masked secrets in it (a vendor template's SNMP keys,
    a masked backup): the mask would become the device's password.
    """
    try:
        intended = config if config is not None else render_device(network, name)
    except RenderError as exc:
        return DeviceResult(name, "failed", error=exc.message)
    if push and MASK in intended:
        return DeviceResult(
            name,
            "failed",
            error=f"the configuration holds masked secrets ({MASK}): govnet does not put secret values "
            "into a whole-config push yet, and pushing the mask would replace the real ones; "
            "nothing was sent",
        )
    try:
        return intended, connect(name)
    except Exception as exc:  # any driver or transport error is this device's result
        return DeviceResult(name, "failed", error=f"cannot connect: {exc}")


def diff_device(network: Network, name: str, connect: Connect) -> DeviceResult:
    """Dry run: what replacing the running config with the intended one would change."""
    start = time.monotonic()
    opened = _open(network, name, connect, None)
    if isinstance(opened, DeviceResult):
        return opened
    intended, driver = opened
    try:
        driver.load_replace_candidate(config=intended)
        diff = driver.compare_config()
        driver.discard_config()
    except Exception as exc:
        return DeviceResult(name, "failed", error=str(exc), seconds=time.monotonic() - start)
    finally:
        driver.close()
    return DeviceResult(
        name, "changed" if diff.strip() else "unchanged", diff, seconds=time.monotonic() - start
    )


def _snapshot(driver: Any) -> dict[str, set[str]]:
    interfaces = driver.get_interfaces()
    peers = driver.get_bgp_neighbors()["global"]["peers"]
    return {
        "up": {name for name, i in interfaces.items() if i["is_up"]},
        "ospf": set(driver.ospf_full_neighbors()) if hasattr(driver, "ospf_full_neighbors") else set(),
        "bgp": {addr for addr, p in peers.items() if p["is_up"]},
    }


def _check(before: dict[str, set[str]], after: dict[str, set[str]]) -> list[str]:
    problems = []
    for key, words in (
        ("up", "interfaces down"),
        ("ospf", "OSPF neighbours not Full"),
        ("bgp", "BGP peers down"),
    ):
        lost = before[key] - after[key]
        if lost:
            problems.append(f"{words}: {', '.join(sorted(lost))}")
    return problems


def push_device(
    network: Network,
    name: str,
    connect: Connect,
    *,
    revert_in: int = 120,
    settle: float = 20.0,
    config: str | None = None,
) -> DeviceResult:
    """Commit with confirm, post-check, confirm or roll back.

    ``config`` pushes that text instead of the rendered intent (a rollback to a backup).
    """
    start = time.monotonic()
    opened = _open(network, name, connect, config, push=True)
    if isinstance(opened, DeviceResult):
        return opened
    intended, driver = opened
    result = DeviceResult(name, "unchanged")
    try:
        driver.load_replace_candidate(config=intended)
        try:
            result.diff = driver.compare_config()
        except Exception as exc:
            result.status, result.error = "failed", f"commit refused: {exc}"
            return result
        if not result.diff.strip():
            driver.discard_config()
            return result
        before = _snapshot(driver)
        try:
            driver.commit_config(revert_in=revert_in)
        except Exception as exc:
            result.status, result.error = "failed", f"commit refused: {exc}"
            return result
        deadline = time.monotonic() + settle
        problems: list[str] = []
        while True:
            try:
                problems = _check(before, _snapshot(driver))
            except Exception as exc:
                problems = [f"management session lost: {exc}"]
            if not problems or time.monotonic() > deadline:
                break
            time.sleep(1)
        if problems:
            try:
                driver.rollback()
                result.error = "post-checks failed, rolled back: " + "; ".join(problems)
            except Exception as exc:
                result.error = (
                    f"post-checks failed ({'; '.join(problems)}); the device will revert "
                    f"by itself within {revert_in} s ({exc})"
                )
            result.status = "rolled_back"
        else:
            driver.confirm_commit()
            result.status = "changed"
    except Exception as exc:
        result.status, result.error = "failed", str(exc)
    finally:
        driver.close()
        result.seconds = time.monotonic() - start
    return result
