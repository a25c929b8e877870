"""Network OS simulators over SSH for tests: fakenos (PyPI) serving Cisco IOS, Huawei VRP and MikroTik
RouterOS CLIs on loopback ports, extended here (never in the product) with what fakenos' stock
command tables lack: configuration mode that keeps what is sent, a running configuration that shows
it, saving, a rejected line answered with the platform's own error, and each platform's safety:

* IOS: ``show archive``, ``configure terminal revert timer N`` (the running configuration
  archived, rolled back when the timer runs out), ``configure confirm``, ``configure revert now``
  (Cisco, "Configuration Replace and Configuration Rollback");
* VRP (two-stage): ``system-view`` edits a candidate, ``display current-configuration`` shows the
  running one, ``commit``, ``commit trial N`` (rolled back unless ``commit`` follows in N s),
  ``abort`` (candidate discarded), ``rollback configuration last 1``;
* RouterOS: Ctrl-X takes and releases safe mode (prompt ``<SAFE>``), Ctrl-D or a session that ends
  other than by ``/quit`` undoes what was done in safe mode, ``/system backup save name=``.

fakenos 1.2 serves fixed outputs per exact command; its Cisco IOS table has no ``configure
terminal`` and its Huawei VRP table uses IOS prompts. :class:`ConfigShell` is a fakenos shell plugin
(a subclass of its ``CMDShell``) that keeps per-host state in :data:`STATE`.
"""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any

from fakenos import FakeNOS
from fakenos.plugins.shell.cmd_shell import CMDShell

from govnet.inventory.models import SSHCredential
from govnet.inventory.network import Network, ResolvedSecrets


@dataclass
class DeviceState:
    """What one simulated device holds: running and saved configuration, what it was sent, and
    each platform's safety state (IOS archive and revert timer, VRP candidate, RouterOS safe mode)."""

    platform: str
    hostname: str
    running: list[str] = field(default_factory=list)
    saved: list[str] | None = None
    received: list[str] = field(default_factory=list)
    #: lines matching this pattern are refused in configuration mode
    reject: re.Pattern[str] | None = None
    #: lines matching this pattern are taken without a word but never show in the running config
    drop: re.Pattern[str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: IOS: "archive" / "path" configured (Configuration Replace and Configuration Rollback)
    archive: bool = True
    #: IOS: the running configuration archived by "configure terminal revert timer", until confirmed
    checkpoint: list[str] | None = None
    revert_at: float | None = None
    #: VRP (two-stage): the candidate of the session in system view; the commits, newest last
    candidate: list[str] | None = None
    commits: list[list[str]] = field(default_factory=list)
    trial_at: float | None = None
    #: RouterOS: the running configuration when safe mode was taken, and who holds it
    safe_base: list[str] | None = None
    safe_owner: object | None = None
    backups: dict[str, list[str]] = field(default_factory=dict)

    def tick(self) -> None:
        """Timers that ran out: an unconfirmed IOS revert timer or VRP trial commit rolls back."""
        now = time.monotonic()
        if self.revert_at is not None and now >= self.revert_at and self.checkpoint is not None:
            self.running, self.checkpoint, self.revert_at = self.checkpoint, None, None
        if self.trial_at is not None and now >= self.trial_at and self.commits:
            self.running, self.trial_at = self.commits.pop(), None


STATE: dict[str, DeviceState] = {}

_PROMPTS = {
    # platform: (exec prompt, config prompt, enter config, leave config, running-config command)
    "cisco_ios": ("{h}#", "{h}(config)#", "configure terminal", {"end", "exit"}, "show running-config"),
    "huawei_vrp": ("<{h}>", "[{h}]", "system-view", {"return", "quit"}, "display current-configuration"),
    # RouterOS has no configuration mode: every line is a command at the one prompt
    "mikrotik_routeros": ("[admin@{h}] > ", "", "", set(), "/export show-sensitive"),
}
_ERRORS = {
    "cisco_ios": "% Invalid input detected at '^' marker.",
    "huawei_vrp": "Error: Unrecognized command found at '^' position.",
    "mikrotik_routeros": "bad command name {word} (line 1 column 2)",
}
_CTRL_X, _CTRL_D = "\x18", "\x04"
#: Top-level lines that open a section (a sub-mode ``exit``/``quit`` leaves for global config).
_SECTIONS = re.compile(r"^(interface|router|line|ip access-list|archive|ospf|bgp|acl|user-interface)\b")


class ConfigShell(CMDShell):  # type: ignore[misc]  # fakenos ships no type hints
    """fakenos' shell with a configuration mode that keeps state (see module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state = STATE[self.base_prompt]
        exec_prompt, self.config_prompt, self.enter, self.leave, self.show = _PROMPTS[self.state.platform]
        self.exec_prompt = exec_prompt.format(h=self.base_prompt)
        self.safe_prompt = f"[admin@{self.base_prompt}] <SAFE> "
        self.config_prompt = self.config_prompt.format(h=self.base_prompt)
        self.prompt = self.exec_prompt
        self.confirming = False
        self.quitted = False
        self.section = False
        self.header = ""

    def start(self) -> None:
        """The session; when it ends other than by /quit, RouterOS undoes what was done in safe mode
        (MikroTik manual, Console: "Safe Mode": a session that terminates abnormally, or Ctrl-D)."""
        try:
            super().start()
        finally:
            with self.state.lock:
                if self.state.safe_owner is self and not self.quitted:
                    self._unroll()

    def _unroll(self) -> None:
        assert self.state.safe_base is not None
        self.state.running, self.state.safe_base, self.state.safe_owner = self.state.safe_base, None, None

    def _routeros(self, text: str) -> bool:
        """One RouterOS line: Ctrl-X takes or releases safe mode, Ctrl-D leaves undoing it, a /menu
        command is kept (or refused), /export prints, a backup is saved, quit ends the session."""
        state = self.state
        if text.startswith(_CTRL_X):
            if state.safe_owner is self:
                state.safe_base, state.safe_owner = None, None
                self.writeline("[Safe Mode released]")
                self.prompt = self.exec_prompt
            elif state.safe_owner is None:
                state.safe_base, state.safe_owner = list(state.running), self
                self.writeline("[Safe Mode taken]")
                self.prompt = self.safe_prompt
            return False
        if text.startswith(_CTRL_D) or text == "exit":  # "exit": the server's own session end
            return True
        if text in {"quit", "/quit"}:
            self.quitted = True
            return True
        if text in {"/export", "/export show-sensitive"}:  # keys shown only with show-sensitive
            lines = state.running
            if text == "/export":
                hidden = r' (?:authentication|encryption)-password=(?:"(?:[^"\\]|\\.)*"|\S+)'
                lines = [re.sub(hidden, "", line) for line in lines]
            self.writeline("\n".join(["# RouterOS 7.16 simulated", *lines]))
        elif text.startswith("/system backup save name="):
            state.backups[text.split("=", 1)[1].split(maxsplit=1)[0]] = list(state.running)
            self.writeline("Configuration backup saved")
        elif text.startswith("/") and not (state.reject and state.reject.search(text)):
            if not (state.drop and state.drop.search(text)):
                state.running.append(text)
        elif text:
            word = text.lstrip("/").split(" ", 1)[0]
            self.writeline(_ERRORS["mikrotik_routeros"].format(word=word))
        return False

    def precmd(self, line: str) -> str:
        """Keep the line as sent: cmd strips the indentation that nests a line in its section."""
        self.raw = line.rstrip("\r\n")
        return str(super().precmd(line))

    def _running(self) -> str:
        head = "hostname" if self.state.platform == "cisco_ios" else "sysname"
        end = "end" if self.state.platform == "cisco_ios" else "return"
        return "\n".join([f"{head} {self.state.hostname}", *self.state.running, end])

    def _config_line(self, text: str) -> None:
        """A line in configuration mode: leave, a VRP two-stage command, refused, or kept."""
        state = self.state
        vrp = state.platform == "huawei_vrp"
        raw = getattr(self, "raw", text)
        if text in {"exit", "quit"} and self.section:  # out of a section, still configuring
            self.section = False
            return
        if text in self.leave:
            if vrp and state.candidate is not None and state.candidate != state.running:
                # never reached by govnet: it commits or aborts before it leaves
                self.writeline("Error: Uncommitted configurations found; commit or abort them first.")
                return
            state.candidate = None
            self.prompt = self.exec_prompt
        elif vrp and text == "abort":  # VRP8: discard the candidate, back to the user view
            state.candidate, self.prompt = None, self.exec_prompt
        elif vrp and (text == "commit" or text.startswith("commit trial")):
            if state.trial_at is not None and text == "commit":  # confirms the trial
                state.trial_at = None
            if state.candidate is not None and state.candidate != state.running:
                state.commits.append(list(state.running))
                state.running = list(state.candidate)
                if text.startswith("commit trial"):
                    state.trial_at = time.monotonic() + float(text.rsplit(maxsplit=1)[-1])
        elif state.reject is not None and state.reject.search(text):
            self.writeline(f" {text}\n ^\n{_ERRORS[state.platform]}")
        elif state.drop is not None and state.drop.search(text):
            pass
        else:
            target = state.candidate if vrp and state.candidate is not None else state.running
            self._edit(target, raw.rstrip())
            if raw == raw.lstrip():  # a top-level line: a section opens when it is one
                self.section = bool(_SECTIONS.match(text))

    def _edit(self, target: list[str], raw: str) -> None:
        """A configuration line applied the way IOS and VRP do: ``no``/``undo`` removes the line
        (a section with its children), a section already there is entered, not repeated, and a
        child line goes at the end of its section."""
        indent = raw[: len(raw) - len(raw.lstrip())]
        text = raw.strip()
        negated = re.match(r"(?:no|undo) (.*)", text)
        start, end = 0, len(target)
        if indent:  # inside the section opened last
            if self.header in target:
                start = target.index(self.header) + 1
                end = start
                while end < len(target) and target[end].startswith(" "):
                    end += 1
        else:
            self.header = raw
        if negated is not None:
            positive = negated.group(1)
            for index in range(start, end):
                line = target[index]
                if line.startswith(indent) and line.strip() in {positive} | (
                    {line.strip()} if line.strip().startswith(positive + " ") else set()
                ):
                    stop = index + 1
                    while not indent and stop < len(target) and target[stop].startswith(" "):
                        stop += 1
                    del target[index:stop]
                    return
            return
        if not indent and raw in target:
            return
        target.insert(end, raw)

    def _exec_line(self, text: str) -> None:
        state = self.state
        if text == self.enter or text.startswith("configure terminal revert timer "):
            if text != self.enter:
                if not state.archive:
                    self.writeline("% Archive path is not configured")  # no archive: no checkpoint
                    return
                state.checkpoint = list(state.running)
                state.revert_at = time.monotonic() + 60 * float(text.rsplit(maxsplit=1)[-1])
                self.writeline(
                    "Rollback Confirmed Change: Backing up current running config to flash:/govnet-1"
                )
            self.prompt = self.config_prompt
            if state.platform == "cisco_ios":
                self.writeline("Enter configuration commands, one per line.  End with CNTL/Z.")
            elif state.platform == "huawei_vrp":
                state.candidate = list(state.running)
        elif text == self.show:
            self.writeline(self._running())
        elif text == "show archive":
            if state.archive:
                self.writeline(
                    "The maximum archive configurations allowed is 10.\n"
                    "There are currently 1 archive configurations saved.\n"
                    "The next archive file will be named flash:/govnet-<timestamp>-1\n"
                    " Archive #  Name\n   1        flash:/govnet-0 <- Most Recent"
                )
            else:
                self.writeline("Archive feature not enabled")
        elif text == "configure confirm":
            state.checkpoint, state.revert_at = None, None
        elif text == "configure revert now":
            if state.checkpoint is not None:
                state.running, state.checkpoint, state.revert_at = state.checkpoint, None, None
                self.writeline("Rollback Done")
        elif text == "rollback configuration last 1" and state.commits:
            state.running, state.trial_at = state.commits.pop(), None
        elif text.startswith(("terminal ", "screen-length ", "screen-width ")):
            pass
        elif text in {"write mem", "write memory", "copy running-config startup-config"}:
            state.saved = list(state.running)
            self.writeline("Building configuration...\n[OK]")
        elif text == "save":
            self.writeline("The current configuration will be written to the device. Continue? [Y/N]:")
            self.confirming = True
        else:
            self.writeline(_ERRORS[state.platform])

    def default(self, line: str) -> bool:
        text = line.strip(" \t\r\n")
        if not self.is_running.is_set() or (
            text == "exit" and self.prompt == self.exec_prompt and self.state.platform != "mikrotik_routeros"
        ):
            return True
        with self.state.lock:
            self.state.tick()
            self.state.received.append(text)
            if self.state.platform == "mikrotik_routeros":
                return self._routeros(text)
            if self.confirming:
                self.confirming = False
                if text.lower() == "y":
                    self.state.saved = list(self.state.running)
                    self.writeline("Info: Save the configuration successfully.")
            elif self.prompt == self.config_prompt:
                self._config_line(text)
            else:
                self._exec_line(text)
            return False


def free_port() -> int:
    """A TCP port on loopback the OS says is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, timeout: float = 30.0) -> None:
    """Wait until the simulator's port is in LISTEN state (fakenos listens from a thread)."""
    deadline = time.monotonic() + timeout
    wanted = f":{port:04X} "
    while time.monotonic() < deadline:
        with open("/proc/net/tcp", encoding="ascii") as table:
            if any(wanted in line and line.split()[3] == "0A" for line in table):
                return
        time.sleep(0.05)
    raise AssertionError(f"the simulator on port {port} is not listening after {timeout} s")


@contextmanager
def simulators(devices: dict[str, tuple[str, int, str, str]]) -> Iterator[dict[str, DeviceState]]:
    """Start fakenos hosts: name → (platform, port, username, password); stop them after."""
    inventory: dict[str, Any] = {"hosts": {}}
    states = {}
    for name, (platform, port, user, password) in devices.items():
        states[name] = STATE[name] = DeviceState(platform=platform, hostname=name)
        inventory["hosts"][name] = {
            "port": port,
            "platform": platform,
            "username": user,
            "password": password,
            "server": {
                "plugin": "ParamikoSshServer",
                "configuration": {"address": "127.0.0.1", "timeout": 1},
            },
        }
    net = FakeNOS(inventory)
    # fakenos' inventory model names only its own shell; the hosts look the plugin up here
    net.shell_plugins = {**net.shell_plugins, "CMDShell": ConfigShell}
    net.start()
    try:
        for _, port, _, _ in devices.values():
            _wait_listening(port)
        yield states
    finally:
        net.stop()
        for name in devices:
            STATE.pop(name, None)


#: Netmiko logs in to RouterOS as user+ct511w4098h (terminal options in the user name)
ROUTEROS_LOGIN_SUFFIX = "+ct511w4098h"


@contextmanager
def twins(
    net: Network, base_device: str, plan: dict[str, str]
) -> Iterator[tuple[Network, dict[str, DeviceState]]]:
    """``net`` with a twin of ``base_device`` per entry of ``plan`` (name -> platform), each a
    simulator on 127.0.0.1 (a free port each) reached with its own SSH credential."""
    base = net.ssh_credential(base_device)
    password = net.secrets.get(base.name, "password")
    devices = dict(net.devices)
    credentials = dict(net.credentials)
    secrets = dict(net.secrets.values)
    spec = {}
    for name, platform in plan.items():
        port = free_port()
        credentials[f"ssh-{name}"] = SSHCredential(
            name=f"ssh-{name}", kind="ssh", username=base.username, password=base.password, port=port
        )
        devices[name] = net.devices[base_device].model_copy(
            update={
                "name": name,
                "platform": platform,
                "mgmt_ip": IPv4Address("127.0.0.1"),
                "ssh_credential": f"ssh-{name}",
            }
        )
        secrets[(f"ssh-{name}", "password")] = password
        login = base.username + (ROUTEROS_LOGIN_SUFFIX if platform == "mikrotik_routeros" else "")
        spec[name] = (platform, port, login, password.get_secret_value())
    sim_net = dataclasses.replace(
        net, devices=devices, credentials=credentials, secrets=ResolvedSecrets(secrets)
    )
    with simulators(spec) as states:
        yield sim_net, states
