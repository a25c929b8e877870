"""Network OS simulators over SSH for tests: fakenos (PyPI) serving Cisco IOS and Huawei VRP CLIs on
loopback ports, extended here (never in the product) with what fakenos' stock command tables lack:
configuration mode that keeps what is sent, a running configuration that shows it, saving, and a
rejected line answered with the platform's own error.

fakenos 1.2 serves fixed outputs per exact command; its Cisco IOS table has no ``configure
terminal`` and its Huawei VRP table uses IOS prompts. :class:`ConfigShell` is a fakenos shell plugin
(a subclass of its ``CMDShell``) that keeps per-host state in :data:`STATE`.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fakenos import FakeNOS
from fakenos.plugins.shell.cmd_shell import CMDShell


@dataclass
class DeviceState:
    """What one simulated device holds: running and saved configuration, what it was sent."""

    platform: str
    hostname: str
    running: list[str] = field(default_factory=list)
    saved: list[str] | None = None
    received: list[str] = field(default_factory=list)
    #: lines matching this pattern are refused in configuration mode
    reject: re.Pattern[str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


STATE: dict[str, DeviceState] = {}

_PROMPTS = {
    # platform: (exec prompt, config prompt, enter config, leave config, running-config command)
    "cisco_ios": ("{h}#", "{h}(config)#", "configure terminal", {"end", "exit"}, "show running-config"),
    "huawei_vrp": ("<{h}>", "[{h}]", "system-view", {"return", "quit"}, "display current-configuration"),
    # RouterOS has no configuration mode: every line is a command at the one prompt
    "mikrotik_routeros": ("[admin@{h}] > ", "", "", set(), "/export"),
}
_ERRORS = {
    "cisco_ios": "% Invalid input detected at '^' marker.",
    "huawei_vrp": "Error: Unrecognized command found at '^' position.",
    "mikrotik_routeros": "bad command name {word} (line 1 column 2)",
}


class ConfigShell(CMDShell):  # type: ignore[misc]  # fakenos ships no type hints
    """fakenos' shell with a configuration mode that keeps state (see module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state = STATE[self.base_prompt]
        exec_prompt, self.config_prompt, self.enter, self.leave, self.show = _PROMPTS[self.state.platform]
        self.exec_prompt = exec_prompt.format(h=self.base_prompt)
        self.config_prompt = self.config_prompt.format(h=self.base_prompt)
        self.prompt = self.exec_prompt
        self.confirming = False

    def _routeros(self, text: str) -> None:
        """One RouterOS line: a /menu command is kept (or refused), /export prints, quit ends."""
        if text == "/export":
            self.writeline("\n".join(["# RouterOS 7.16 simulated", *self.state.running]))
        elif text.startswith("/") and not (self.state.reject and self.state.reject.search(text)):
            self.state.running.append(text)
        elif text:
            word = text.lstrip("/").split(" ", 1)[0]
            self.writeline(_ERRORS["mikrotik_routeros"].format(word=word))

    def precmd(self, line: str) -> str:
        """Keep the line as sent: cmd strips the indentation that nests a line in its section."""
        self.raw = line.rstrip("\r\n")
        return str(super().precmd(line))

    def _running(self) -> str:
        head = "hostname" if self.state.platform == "cisco_ios" else "sysname"
        end = "end" if self.state.platform == "cisco_ios" else "return"
        return "\n".join([f"{head} {self.state.hostname}", *self.state.running, end])

    def default(self, line: str) -> bool:  # noqa: PLR0911 - one answer per kind of line
        text = line.strip()
        if not self.is_running.is_set() or (text == "exit" and self.prompt == self.exec_prompt):
            return True
        with self.state.lock:
            self.state.received.append(text)
            if self.state.platform == "mikrotik_routeros":
                if text == "quit":
                    return True
                self._routeros(text)
                return False
            if self.confirming:
                self.confirming = False
                if text.lower() == "y":
                    self.state.saved = list(self.state.running)
                    self.writeline("Info: Save the configuration successfully.")
                return False
            if self.prompt == self.config_prompt:
                if text in self.leave:
                    self.prompt = self.exec_prompt
                elif self.state.reject is not None and self.state.reject.search(text):
                    self.writeline(f" {text}\n ^\n{_ERRORS[self.state.platform]}")
                else:
                    self.state.running.append(getattr(self, "raw", text).rstrip())
                return False
            if text == self.enter:
                self.prompt = self.config_prompt
                if self.state.platform == "cisco_ios":
                    self.writeline("Enter configuration commands, one per line.  End with CNTL/Z.")
                return False
            if text == self.show:
                self.writeline(self._running())
                return False
            if text.startswith(("terminal ", "screen-length ", "screen-width ")):
                return False
            if text in {"write mem", "write memory", "copy running-config startup-config"}:
                self.state.saved = list(self.state.running)
                self.writeline("Building configuration...\n[OK]")
                return False
            if text == "save":
                self.writeline("The current configuration will be written to the device. Continue? [Y/N]:")
                self.confirming = True
                return False
            self.writeline(_ERRORS[self.state.platform])
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
