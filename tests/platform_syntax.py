"""Strict syntax checks of rendered configs, one per platform (issue #17 item 2).

IOS and VRP are parsed into their section tree by hier-config (``get_hconfig``); every line must
then be a command the platform has, in the section where the platform takes it (the grammar below
is written from the vendors' command references cited in tests/test_render_golden.py), and the
routing statements must carry what the platform requires (IOS: ``redistribute bgp <AS>`` with the
router's own AS, one OSPF process id used everywhere; VRP: ``ospf enable <pid> area <area>`` of the
configured process). RouterOS has no parser on PyPI: :func:`check_routeros` reads the export syntax
itself (``/menu command [ find ... ] name=value ...`` with RouterOS' quoting) and knows each menu's
properties.
"""

from __future__ import annotations

import re

from hier_config import Platform, get_hconfig

_IP = r"\d+\.\d+\.\d+\.\d+"
_WORD = r"[A-Za-z0-9][\w./:@-]*"
_ANY_TEXT = r".+"

#: section header → allowed child lines; None: a line with no children
IOS: list[tuple[str, list[str] | None]] = [
    (r"hostname " + _WORD, None),
    (
        r"interface \S+",
        [
            r"description " + _ANY_TEXT,
            rf"ip address {_IP} {_IP}",
            r"ip ospf network point-to-point",
            r"ip ospf (?P<pid>\d+) area \d+",
            r"ip ospf cost \d+",
            r"ip ospf (hello|dead)-interval \d+",
            r"no shutdown",
        ],
    ),
    (rf"ip route {_IP} {_IP} {_IP} name \S+", None),
    (
        r"router ospf (?P<pid>\d+)",
        [
            rf"router-id {_IP}",
            r"passive-interface Loopback0",
            r"redistribute static subnets",
            r"redistribute bgp \d+ subnets",
        ],
    ),
    (
        r"router bgp \d+",
        [
            rf"bgp router-id {_IP}",
            r"bgp log-neighbor-changes",
            rf"neighbor {_IP} remote-as \d+",
            rf"neighbor {_IP} description " + _WORD,
            r"address-family ipv4( unicast)?",
        ],
    ),
    (r"ip access-list standard \S+", [rf"(\d+ )?permit {_IP} {_IP}", r"(\d+ )?deny any log"]),
    (r"line vty 0 15", [r"access-class \S+ in", r"transport input ssh"]),
    (r"snmp-server group \S+ v3 priv access \S+", None),
    (r"snmp-server user \S+ \S+ v3 auth (sha|md5) \S+ priv (aes (128|192|256)|3des|des) \S+", None),
    (rf"snmp-server host {_IP} version 3 priv \S+ udp-port \d+", None),
    (r"snmp-server community \S+ RO \S+", None),
    (rf"snmp-server host {_IP} version 2c \S+ udp-port \d+", None),
    (r"snmp-server enable traps snmp linkdown linkup", None),
    (r"snmp-server ifindex persist", None),
    (r"lldp run", None),
    (rf"ntp server {_IP}", None),
    (rf"logging host {_IP}", None),
    (r"end", None),
]
IOS_BGP_AF = [rf"network {_IP} mask {_IP}", rf"neighbor {_IP} activate", rf"neighbor {_IP} default-originate"]

VRP: list[tuple[str, list[str] | None]] = [
    (r"sysname " + _WORD, None),
    (
        r"interface \S+",
        [
            r"description " + _ANY_TEXT,
            rf"ip address {_IP} {_IP}",
            r"ospf network-type p2p",
            rf"ospf enable (?P<pid>\d+) area {_IP}",
            r"ospf cost \d+",
            r"ospf timer (hello|dead) \d+",
            r"undo shutdown",
        ],
    ),
    (rf"ospf (?P<pid>\d+)( router-id {_IP})?", [r"import-route (static|bgp)", rf"area {_IP}"]),
    (
        r"bgp \d+",
        [
            rf"router-id {_IP}",
            rf"peer {_IP} as-number \d+",
            rf"peer {_IP} description " + _WORD,
            r"ipv4-family unicast",
        ],
    ),
    (rf"ip route-static {_IP} {_IP} {_IP} description \S+", None),
    (r"acl number 2\d\d\d", [rf"rule \d+ permit source {_IP} {_IP}", r"rule \d+ deny"]),
    (
        r"user-interface vty 0 4",
        [r"acl 2\d\d\d inbound", r"authentication-mode aaa", r"protocol inbound ssh"],
    ),
    (r"snmp-agent", None),
    (r"snmp-agent acl 2\d\d\d", None),
    (r"snmp-agent sys-info version (v3|v2c)", None),
    (r"snmp-agent group v3 \S+ privacy acl 2\d\d\d", None),
    (r"snmp-agent usm-user v3 \S+ group \S+", None),
    (r"snmp-agent usm-user v3 \S+ authentication-mode (md5|sha|sha2-256) \S+", None),
    (r"snmp-agent usm-user v3 \S+ privacy-mode (des56|aes128|aes192|aes256|3des) \S+", None),
    (
        rf"snmp-agent target-host trap address udp-domain {_IP} udp-port \d+ "
        r"params securityname \S+ v3 privacy",
        None,
    ),
    (r"snmp-agent community read \S+ acl 2\d\d\d", None),
    (rf"snmp-agent target-host trap address udp-domain {_IP} udp-port \d+ params securityname \S+ v2c", None),
    (r"snmp-agent trap enable feature-name ifnet trap-name link(down|up)", None),
    (r"lldp enable", None),
    (rf"ntp-service unicast-server {_IP}", None),
    (rf"info-center loghost {_IP}", None),
    (r"return", None),
]
VRP_BGP_AF = [rf"network {_IP} {_IP}", rf"peer {_IP} enable", rf"peer {_IP} default-route-advertise"]


def _match(patterns: list[str], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        found = re.fullmatch(pattern, text)
        if found:
            return found
    return None


def _check_tree(
    platform: Platform, grammar: list[tuple[str, list[str] | None]], af: list[str], text: str, comment: str
) -> list[str]:
    problems: list[str] = []
    tree = get_hconfig(platform, text)
    pids: dict[str, set[str]] = {"process": set(), "used": set()}
    for top in tree.children:
        if top.text == comment:
            continue
        rule = next(((p, c) for p, c in grammar if re.fullmatch(p, top.text)), None)
        if rule is None:
            problems.append(f"unknown command: {top.text!r}")
            continue
        head = re.fullmatch(rule[0], top.text)
        assert head is not None
        if "pid" in head.groupdict():
            pids["process"].add(head["pid"])
        for child in top.children:
            if child.text == comment:
                continue
            allowed = rule[1] or []
            found = _match(allowed, child.text)
            if found is None:
                problems.append(f"{top.text!r}: unknown line {child.text!r}")
                continue
            if "pid" in found.groupdict():
                pids["used"].add(found["pid"])
            for grandchild in child.children:
                if _match(af, grandchild.text) is None:
                    problems.append(f"{top.text!r} / {child.text!r}: unknown line {grandchild.text!r}")
    if pids["used"] - pids["process"]:
        problems.append(f"OSPF process(es) {sorted(pids['used'] - pids['process'])} used but not configured")
    return problems


def check_ios(text: str) -> list[str]:
    """Problems of a Cisco IOS configuration (empty when it is valid)."""
    problems = _check_tree(Platform.CISCO_IOS, IOS, IOS_BGP_AF, text, "!")
    asn = re.search(r"^router bgp (\d+)$", text, re.M)
    for found in re.finditer(r"^ redistribute bgp (\d+)", text, re.M):
        if asn is None or found[1] != asn[1]:
            problems.append(f"'redistribute bgp {found[1]}' is not this router's AS")
    if re.search(r"^ redistribute bgp( subnets)?$", text, re.M):
        problems.append("'redistribute bgp' without the AS number")
    return problems


def check_vrp(text: str) -> list[str]:
    """Problems of a Huawei VRP configuration (empty when it is valid)."""
    return _check_tree(Platform.HUAWEI_VRP, VRP, VRP_BGP_AF, text, "#")


# --------------------------------------------------------------------------- RouterOS

#: menu → command → allowed properties (RouterOS 7 reference manual, per menu)
ROUTEROS: dict[str, dict[str, set[str]]] = {
    "/system identity": {"set": {"name"}},
    "/interface bridge": {"add": {"name", "protocol-mode", "comment"}},
    "/interface ethernet": {"set": {"comment"}},
    "/ip address": {"add": {"address", "interface", "comment"}},
    "/ip route": {"add": {"dst-address", "gateway", "comment"}},
    "/routing ospf instance": {"add": {"name", "version", "router-id", "redistribute"}},
    "/routing ospf area": {"add": {"name", "area-id", "instance"}},
    "/routing ospf interface-template": {
        "add": {"area", "interfaces", "type", "cost", "hello-interval", "dead-interval"}
    },
    "/routing bgp connection": {
        "add": {
            "name",
            "remote.address",
            "remote.as",
            "local.role",
            "as",
            "output.network",
            "output.default-originate",
        }
    },
    "/ip firewall address-list": {"add": {"list", "address"}},
    "/ip firewall filter": {
        "add": {"chain", "protocol", "dst-port", "src-address-list", "action", "comment"}
    },
    "/ip service": {"set": {"address", "disabled"}},
    "/snmp community": {
        "set": {"name", "addresses", "disabled"},
        "add": {
            "name",
            "security",
            "authentication-protocol",
            "authentication-password",
            "encryption-protocol",
            "encryption-password",
            "addresses",
        },
    },
    "/snmp": {
        "set": {
            "enabled",
            "trap-target",
            "trap-generators",
            "trap-interfaces",
            "trap-version",
            "trap-community",
        }
    },
    "/ip neighbor discovery-settings": {"set": {"discover-interface-list", "protocol"}},
    "/system ntp client": {"set": {"enabled", "servers"}},
    "/system logging action": {"add": {"name", "target", "remote"}},
    "/system logging": {"add": {"topics", "action"}},
}
_BARE = re.compile(r"[^\s\"'\[\]$;\\{}]+\Z")
_QUOTED = re.compile(r'"(?:[^"\\$]|\\[\\"$?_abfnrtv]|\\[0-9A-F]{2})*"\Z')
_FIND = re.compile(r"\[ find (?:default-name=(?P<port>\"[^\"]+\"|[^\s\]]+)|default=yes) \]")
#: `set` of a menu whose single item has no selector (e.g. '/snmp set', '/ip service set ssh')
_SET_NAMED = {"/ip service": {"ssh", "telnet", "ftp", "www"}}


def _values(args: str) -> list[tuple[str, str]]:
    """name=value pairs of an export line, values bare or double-quoted (RouterOS' rules)."""
    out = []
    for token in re.findall(r'\S+?="(?:[^"\\]|\\.)*"|\S+', args):
        name, eq, value = token.partition("=")
        if not eq or not re.fullmatch(r"[a-z][a-z0-9.-]*", name):
            raise ValueError(f"'{token}' is not name=value")
        if not (_BARE.match(value) or _QUOTED.match(value)):
            raise ValueError(f"the value of '{name}' is neither a plain word nor a quoted string: {value}")
        out.append((name, value))
    return out


def ros_value(value: str) -> str:
    """The text a bare or double-quoted RouterOS value stands for (``\\"``, ``\\\\``, ``\\$``,
    ``\\?`` and ``\\XX`` bytes decoded, as RouterOS reads them)."""
    if not value.startswith('"'):
        return value
    body, out = value[1:-1], bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out += char.encode("utf-8")
            index += 1
        elif re.fullmatch(r"[0-9A-F]{2}", body[index + 1 : index + 3]):
            out.append(int(body[index + 1 : index + 3], 16))
            index += 3
        else:
            out += body[index + 1].encode("utf-8")
            index += 2
    return out.decode("utf-8")


def check_routeros(text: str, ports: set[str]) -> list[str]:
    """Problems of a RouterOS export-style script; ``ports`` are the device's ports (default-names)."""
    problems: list[str] = []
    menus = sorted(ROUTEROS, key=len, reverse=True)
    created: dict[str, set[str]] = {
        "interface": set(ports),
        "area": set(),
        "action": set(),
        "instance": set(),
    }
    for number, line in enumerate(text.splitlines(), start=1):
        menu = next((m for m in menus if line.startswith(m + " ")), None)
        if menu is None:
            problems.append(f"line {number}: unknown menu: {line!r}")
            continue
        rest = line[len(menu) + 1 :]
        command, _, args = rest.partition(" ")
        if command not in ROUTEROS[menu]:
            problems.append(f"line {number}: {menu} has no command '{command}'")
            continue
        if command == "set":
            selector = _FIND.match(args)
            if selector:
                if selector["port"] is not None and ros_value(selector["port"]) not in ports:
                    problems.append(f"line {number}: no port with default-name={selector['port']}")
                args = args[selector.end() :].lstrip()
            elif menu in _SET_NAMED:
                item, _, args = args.partition(" ")
                if item not in _SET_NAMED[menu]:
                    problems.append(f"line {number}: {menu} has no item '{item}'")
        try:
            pairs = _values(args)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        for name, _ in pairs:
            if name not in ROUTEROS[menu][command]:
                problems.append(f"line {number}: {menu} {command} has no property '{name}'")
        values = {key: ros_value(value) for key, value in pairs}
        if menu == "/interface bridge":
            created["interface"].add(values["name"])
        for ref, key, menu_of in (
            ("interface", "interface", "/ip address"),
            ("interface", "interfaces", "/routing ospf interface-template"),
            ("area", "area", "/routing ospf interface-template"),
            ("instance", "instance", "/routing ospf area"),
            ("action", "action", "/system logging"),
        ):
            if menu == menu_of and key in values and values[key] not in created[ref]:
                problems.append(f"line {number}: {key}={values[key]} names nothing configured before")
        if menu == "/routing bgp connection":
            if values.get("name") in created.setdefault("connection", set()):
                problems.append(f"line {number}: a second BGP connection named {values['name']}")
            created["connection"].add(values.get("name", ""))
        if menu == "/routing ospf area":
            created["area"].add(values["name"])
        if menu == "/routing ospf instance":
            created["instance"].add(values["name"])
        if menu == "/system logging action":
            created["action"].add(values["name"])
    return problems
