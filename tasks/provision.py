"""Provisioning: diff and push intended configurations through Nornir and NAPALM, in waves.

**Dry run is the default.** ``diff`` loads each device's intended configuration as a replace
candidate, reports the difference and discards it. ``push`` (only with ``commit=True``) commits
with a confirm timer, runs post-checks and confirms only when they pass.

**All or nothing.** A push that fails once anything was sent (the device refuses a line half-way,
post-checks fail, the confirm fails, the session is lost) puts the device back on the running
configuration it had before the push: its checkpoint (rollback), else that configuration pushed
back, else its own confirm timer, waited for. Then govnet reads the running configuration back
and compares it line by line with the one from before: the same gives ``rolled_back`` with the
reason; anything else is ``failed`` with "device state unknown, previous config restored: yes/no".

**Post-checks** compare with what held *before* the push: the management session still answers,
every interface that was up is still up, every OSPF neighbour that was Full is Full again and
every BGP peer that was Established is up again (within ``settle`` seconds). Adjacencies the
push newly creates are not required, since their other end may not be configured yet.

**Waves (the rule for changes that touch uplinks).** Devices are pushed in breadth-first layers
from the core over the inventory's links (edge devices carry no transit): a device is pushed only
after every device on its path toward the core is done and healthy, so a change that breaks an
uplink is caught, and rolled back, on the upstream device before anything behind it is touched.
A canary wave of one device goes first. The rollout stops when failures exceed a threshold, and
whatever the threshold, a device whose management path runs through a device that failed, was
rolled back or was skipped is skipped (:func:`upstream`).
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from govnet.errors import GovnetError
from govnet.inventory.models import Role
from govnet.inventory.network import Network
from govnet.tasks.backup import mask
from govnet.tasks.context import MASK
from govnet.tasks.render import RenderError, render_device

log = logging.getLogger(__name__)

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


def _depths(network: Network) -> dict[str, int]:
    """Hops from the core over the inventory's links, breadth first (edge devices end paths)."""
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
    return depth


def upstream(network: Network) -> dict[str, set[str]]:
    """For each device the core reaches: every device on its management paths toward the core
    (the shortest ones, over the links :func:`waves` walks; the device itself not included).

    A device is reached through a neighbour one hop nearer the core that carries transit (not an
    edge device); when there are several such neighbours (a ring), all of them and their own
    paths count: a change on the device may travel through any of them.
    """
    depth = _depths(network)
    paths: dict[str, set[str]] = {}
    for node in sorted(depth, key=lambda n: (depth[n], n)):
        via: set[str] = set()
        for link in network.links_by_device.get(node, []):
            other = link.b_device if link.a_device == node else link.a_device
            if depth.get(other) != depth[node] - 1:
                continue
            if depth[other] > 0 and network.devices[other].role in EDGE:
                continue
            via |= paths[other] | {other}
        paths[node] = via
    return paths


def waves(network: Network, devices: list[str], canary: int = 1) -> list[list[str]]:
    """The devices in push order: a canary wave, then breadth-first layers from the core."""
    chosen = set(devices)
    depth = _depths(network)
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


def device_context(network: Network, name: str) -> dict[str, Any]:
    """What a log line about a device names: the device, its management address, its district."""
    dev = network.devices.get(name)
    if dev is None:
        return {"device": name}
    return {"device": name, "address": str(dev.mgmt_ip), "district": network.district_of(name)}


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
        log.debug("diff read", extra={**device_context(network, name), "lines": _changed_lines(diff)})
    except Exception as exc:
        return DeviceResult(name, "failed", error=str(exc), seconds=time.monotonic() - start)
    finally:
        driver.close()
    return DeviceResult(
        name, "changed" if diff.strip() else "unchanged", diff, seconds=time.monotonic() - start
    )


def _changed_lines(diff: str) -> int:
    return sum(1 for line in diff.splitlines() if line.startswith(("+", "-")) and line.strip("+- "))


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


def _same_config(wanted: str, now: str) -> bool:
    """Whether two running configurations are the same, line by line (trailing blanks aside)."""
    return [line.rstrip() for line in wanted.strip().splitlines()] == [
        line.rstrip() for line in now.strip().splitlines()
    ]


def _config_differences(wanted: str, now: str, limit: int = 6) -> str:
    """A short summary of the lines in which ``now`` differs from ``wanted``."""
    lines = [
        line
        for line in difflib.unified_diff(wanted.splitlines(), now.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    more = f" (and {len(lines) - limit} more)" if len(lines) > limit else ""
    return ", ".join(repr(line) for line in lines[:limit]) + more


#: Seconds past a commit's confirm timer that a push waits for the device to revert by itself.
TIMER_MARGIN = 30.0
SAME_AS_BEFORE = "the running config is the one from before the push (read back, line by line)"


class _Session:
    """The push's driver, reopened once when the management session is lost."""

    def __init__(self, name: str, driver: Any, connect: Connect) -> None:
        self.name = name
        self.driver = driver
        self.connect = connect

    def reopen(self) -> Any:
        with contextlib.suppress(Exception):
            self.driver.close()
        self.driver = self.connect(self.name)
        return self.driver

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.driver.close()


def _running(driver: Any) -> str:
    return str(driver.get_config(retrieve="running")["running"])


def _not_shown(driver: Any, intended: str) -> str | None:
    """What of ``intended`` the running config does not show after a commit (None: all of it).

    The device's own diff from its running config to the intent must be empty: a line a daemon
    took and dropped, or put back, shows here, and the push is not "changed".
    """
    try:
        driver.load_replace_candidate(config=intended)
        left = driver.compare_config()
        driver.discard_config()
    except Exception as exc:
        return f"the running config could not be read back: {exc}"
    lines = [line for line in left.splitlines() if line.startswith(("+", "-")) and line.strip("+- ")]
    if not lines:
        return None
    shown = "; ".join(lines[:6]) + (f" (and {len(lines) - 6} more)" if len(lines) > 6 else "")
    return f"the running config does not show the change after the commit: {shown}"


def _commit_and_check(
    driver: Any, revert_in: int, settle: float, before: dict[str, set[str]], intended: str
) -> str | None:
    """Commit with a confirm timer, post-check, read back, confirm: None when all went well, else
    why not."""
    try:
        driver.commit_config(revert_in=revert_in)
    except Exception as exc:
        return f"commit refused: {exc}"
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
        return "post-checks failed: " + "; ".join(problems)
    missing = _not_shown(driver, intended)
    if missing:
        return missing
    try:
        driver.confirm_commit()
    except Exception as exc:
        return f"confirm failed: {exc}"
    return None


def _restore(session: _Session, previous: str, revert_in: int) -> tuple[bool, str]:
    """Put the device back on ``previous`` (its running config before the push) and check it
    line by line: (True, how) when it runs again, else (False, "device state unknown, ...").

    First the device's own checkpoint (rollback of the pending commit), or a replace with the
    previous config when nothing is pending; the session is reopened once if it was lost. When
    neither works, the commit's confirm timer is waited for (``revert_in`` s and a margin).
    """
    notes: list[str] = []
    acknowledged = False  # the device said it restored, but govnet could not read it back
    for attempt in range(2):
        try:
            driver = session.driver if attempt == 0 else session.reopen()
            now = _running(driver)
            if _same_config(previous, now):
                return True, SAME_AS_BEFORE
            if driver.has_pending_commit():
                driver.rollback()
                how = "rolled back to the device's checkpoint"
            else:
                driver.load_replace_candidate(config=previous)
                driver.commit_config()
                how = "the previous configuration pushed back"
            acknowledged = True
            now = _running(driver)
            if _same_config(previous, now):
                return True, f"{how}; {SAME_AS_BEFORE}"
            acknowledged = False
            notes.append(f"{how}, but the running config still differs: {_config_differences(previous, now)}")
        except Exception as exc:
            notes.append(str(exc))
    deadline = time.monotonic() + revert_in + TIMER_MARGIN
    while time.monotonic() < deadline:
        time.sleep(1)
        try:
            driver = session.driver if session.driver.is_alive().get("is_alive") else session.reopen()
            if driver.has_pending_commit():
                continue
            now = _running(driver)
        except Exception:
            continue
        if _same_config(previous, now):
            return True, (
                f"could not roll back ({'; '.join(notes)}); waited for the device to revert by itself "
                "(its confirm timer): the previous configuration runs (checked line by line)"
            )
        notes.append(
            f"after the confirm timer the running config differs: {_config_differences(previous, now)}"
        )
        break
    restored = "yes" if acknowledged else "no"
    return False, f"device state unknown, previous config restored: {restored} ({'; '.join(notes)})"


def push_device(
    network: Network,
    name: str,
    connect: Connect,
    *,
    revert_in: int = 120,
    settle: float = 20.0,
    config: str | None = None,
) -> DeviceResult:
    """Commit with confirm, post-check, confirm; all or nothing.

    A push that fails once anything was sent (commit refused half-way, post-checks, confirm,
    session lost) puts the device back on the running config it had before the push and reads it
    back to compare line by line: ``rolled_back`` with the reason when it is the same, ``failed``
    with "device state unknown, previous config restored: yes/no" when govnet cannot be sure.
    A failure before anything was sent (render, connect, compare) is ``failed``, nothing sent.

    ``config`` pushes that text instead of the rendered intent (a rollback to a backup).
    """
    start = time.monotonic()
    opened = _open(network, name, connect, config, push=True)
    if isinstance(opened, DeviceResult):
        return opened
    intended, driver = opened
    session = _Session(name, driver, connect)
    result = DeviceResult(name, "unchanged")
    where = device_context(network, name)
    log.info("push started", extra=where)
    try:
        try:
            driver.load_replace_candidate(config=intended)
            result.diff = driver.compare_config()
            log.info("push diff", extra={**where, "lines": _changed_lines(result.diff)})
            if not result.diff.strip():
                driver.discard_config()
                return result
            previous = _running(driver)
            before = _snapshot(driver)
        except Exception as exc:
            result.status, result.error = "failed", f"commit refused: {exc}; nothing was sent"
            return result
        log.info("push committing with a confirm timer", extra={**where, "revert_in": revert_in})
        reason = _commit_and_check(driver, revert_in, settle, before, intended)
        if reason is None:
            log.info("push confirmed", extra=where)
            result.status = "changed"
            return result
        log.warning("push failed: restoring the previous configuration", extra={**where, "reason": reason})
        back, how = _restore(session, previous, revert_in)
        log.log(
            logging.WARNING if back else logging.ERROR,
            "push restore",
            extra={**where, "restored": back, "how": how},
        )
        result.status = "rolled_back" if back else "failed"
        result.error = f"{reason}; {how}"
    finally:
        session.close()
        result.seconds = time.monotonic() - start
    return result
