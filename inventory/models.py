"""The schema of the files a network engineer writes: one pydantic model per kind of entry.

Every model forbids unknown keys (``extra="forbid"``) so that a typo such as ``mgmt_pi`` is
reported instead of silently ignored. Cross-references (a link to an unknown device, an agency
on an unknown CPE, ...) are checked afterwards by :mod:`govnet.inventory.checks`, because they need
the whole inventory.
"""

from __future__ import annotations

import re
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from govnet.inventory.ifnames import interface_problem
from govnet.inventory.platforms import known_platforms, suggest_platform
from govnet.inventory.text import (
    HOSTNAME_MAX,
    INTERFACE_MAX,
    NAME_MAX,
    TEXT_MAX,
    USERNAME_MAX,
    shown,
    text_problem,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
DeviceName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=HOSTNAME_MAX)
]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]


def _free_text(limit: int) -> AfterValidator:
    """A validator refusing what :func:`govnet.inventory.text.text_problem` refuses."""

    def check(value: str) -> str:
        problem = text_problem(value, limit)
        if problem is not None:
            raise ValueError(f"the text {problem}")
        return value

    return AfterValidator(check)


#: A name people read (agency, site, district, duct, province): one printable line, Vietnamese
#: letters welcome, at most :data:`govnet.inventory.text.NAME_MAX` characters. The length is checked
#: before the characters, so a 1 MB value is refused without being scanned.
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX), _free_text(NAME_MAX)]
#: Other free text (a site's address, a model, a serial, a path).
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX), _free_text(TEXT_MAX)]
#: A user name that is written into device commands as one word: no space, no quote.
UserName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$", min_length=1, max_length=USERNAME_MAX),
]
_INTERFACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:-]*\Z")  # \Z: "$" would pass a trailing newline


class Strict(BaseModel):
    """Base for user-written entries: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Role(StrEnum):
    """What a device does in the network."""

    CORE = "core"
    HUB = "hub"
    CPE = "cpe"
    BTS_ROUTER = "bts_router"
    WIFI_AP = "wifi_ap"
    WIFI_CONTROLLER = "wifi_controller"


class SiteKind(StrEnum):
    """What stands at a site."""

    DATACENTER = "datacenter"
    HUB = "hub"
    AGENCY = "agency"
    COMMUNE_OFFICE = "commune_office"
    BTS = "bts"
    WIFI = "wifi"


class AgencyType(StrEnum):
    """Kinds of public bodies served by the network."""

    PROVINCIAL_DEPARTMENT = "provincial_department"
    PROVINCIAL_LEADERSHIP = "provincial_leadership"
    DISTRICT_COMMITTEE = "district_committee"
    DISTRICT_OFFICE = "district_office"
    COMMUNE_COMMITTEE = "commune_committee"
    PARTY_COMMITTEE = "party_committee"
    HOSPITAL = "hospital"
    HEALTH_STATION = "health_station"
    SCHOOL = "school"
    POLICE = "police"
    PUBLIC_SERVICE = "public_service"


class ServiceLevel(StrEnum):
    """Service level of an agency; its weight ranks failure impact."""

    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"

    @property
    def weight(self) -> int:
        """Relative importance: gold 3, silver 2, bronze 1.

        >>> ServiceLevel("gold").weight
        3
        """
        return {"gold": 3, "silver": 2, "bronze": 1}[self.value]


class Medium(StrEnum):
    """Physical medium of a link."""

    FIBER = "fiber"
    MICROWAVE = "microwave"
    COPPER = "copper"


class Protocol(StrEnum):
    """How routes cross a link."""

    OSPF = "ospf"
    BGP = "bgp"
    STATIC = "static"


class SubnetPurpose(StrEnum):
    """What addresses in a subnet of the address plan are for."""

    MANAGEMENT = "management"
    LOOPBACK = "loopback"
    P2P = "p2p"
    LAN = "lan"


# --------------------------------------------------------------------------- province


class BoundingBox(Strict):
    """The province's extent in WGS84 degrees; every site must lie inside it."""

    min_lat: float = Field(ge=-90, le=90)
    max_lat: float = Field(ge=-90, le=90)
    min_lon: float = Field(ge=-180, le=180)
    max_lon: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> BoundingBox:
        if self.min_lat >= self.max_lat or self.min_lon >= self.max_lon:
            raise ValueError("min_lat must be below max_lat and min_lon below max_lon")
        return self

    def contains(self, lat: float, lon: float) -> bool:
        """Whether a point lies inside the box (edges included)."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


class District(Strict):
    """A district-level unit (city, town or rural district)."""

    id: Slug
    name: Name
    kind: Literal["city", "town", "district"] = "district"


class TrapReceiver(Strict):
    """Where devices send SNMP traps."""

    host: IPv4Address
    port: int = Field(default=162, ge=1, le=65535)


class Province(Strict):
    """The province itself: its name, extent and district-level units."""

    name: Name
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}$")]
    bbox: BoundingBox
    districts: list[District] = Field(min_length=1)
    trap_receivers: list[TrapReceiver] = []
    ntp_servers: list[IPv4Address] = []
    syslog_servers: list[IPv4Address] = []
    #: Where this inventory's secrets file is (relative to the inventory directory), when it has
    #: one of its own, as a lab's does. ``--secrets`` and ``$GOVNET_SECRETS`` still win.
    secrets_file: Text | None = None
    #: OSPF hello/dead intervals for every OSPF link (seconds); FRR's defaults (10/40) when unset.
    #: Labs set 1/4 so that adjacencies form within seconds.
    ospf_hello_s: int | None = Field(default=None, ge=1, le=65535)
    ospf_dead_s: int | None = Field(default=None, ge=1, le=65535)


class Subnet(Strict):
    """One block of the address plan."""

    name: Slug
    prefix: IPv4Network
    purpose: SubnetPurpose


# --------------------------------------------------------------------------- secrets


class SecretRef(Strict):
    """Where a secret value lives: an environment variable or a key of the secrets file.

    ``generate: true`` (lab and demo inventories only) lets govnet create a random value in
    the secrets file the first time none is found.
    """

    env: EnvName | None = None
    secret: Slug | None = None
    generate: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> SecretRef:
        if (self.env is None) == (self.secret is None):
            raise ValueError(
                "give exactly one of 'env' (an environment variable) or 'secret' (a secrets-file key)"
            )
        if self.generate and self.secret is None:
            raise ValueError("'generate' only works with 'secret' (a secrets-file key)")
        return self

    def describe(self) -> str:
        """Human wording of the source, never the value."""
        return f"environment variable {self.env}" if self.env else f"secret '{self.secret}'"


class SSHCredential(Strict):
    """SSH login for provisioning (Netmiko/NAPALM)."""

    name: Slug
    kind: Literal["ssh"]
    username: UserName
    password: SecretRef
    port: int = Field(default=22, ge=1, le=65535)


class SNMPv2cCredential(Strict):
    """An SNMP v2c community."""

    name: Slug
    kind: Literal["snmp_v2c"]
    community: SecretRef


class SNMPv3Credential(Strict):
    """An SNMP v3 USM user (authPriv).

    ``aes192``/``aes256`` are net-snmp's ``AES-192``/``AES-256`` (draft-blumenthal key extension),
    ``aes192c``/``aes256c`` Cisco's (net-snmp's ``AES-192-C``/``AES-256-C``).
    """

    name: Slug
    kind: Literal["snmp_v3"]
    username: UserName
    auth_protocol: Literal["sha", "sha224", "sha256", "sha384", "sha512", "md5"] = "sha"
    auth_key: SecretRef
    priv_protocol: Literal["aes", "aes192", "aes256", "aes192c", "aes256c", "des"] = "aes"
    priv_key: SecretRef


Credential = SSHCredential | SNMPv2cCredential | SNMPv3Credential
CREDENTIAL_KINDS: dict[str, type[Strict]] = {
    "ssh": SSHCredential,
    "snmp_v2c": SNMPv2cCredential,
    "snmp_v3": SNMPv3Credential,
}


class SNMPProfile(Strict):
    """How to poll a device over SNMP: version, credential and timing."""

    name: Slug
    version: Literal["2c", "3"]
    credential: Slug
    port: int = Field(default=161, ge=1, le=65535)
    timeout_s: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=5)
    #: The most varbinds one GETBULK answer may carry once the agent has shown it takes more than
    #: the first request's 64 (up to ~10 kB of UDP, sent as IP fragments): 40 keeps every answer
    #: in one packet, for a path whose firewall drops fragments.
    max_varbinds: int = Field(default=256, ge=8, le=1024)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


# --------------------------------------------------------------------------- places and things


class Duct(Strict):
    """A fiber duct or trench: links in one duct share one risk (an excavator cuts them all)."""

    id: Slug
    name: Name
    length_km: float | None = Field(default=None, gt=0)


class Site(Strict):
    """A place with equipment, with WGS84 coordinates."""

    id: Slug
    name: Name
    kind: SiteKind
    district: Slug
    commune: Name | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: Text | None = None


_RANGE = re.compile(r"^(?P<stem>.*?)\[(?P<lo>\d+)-(?P<hi>\d+)\](?P<tail>.*)\Z")


def expand_interfaces(spec: str) -> list[str]:
    """Expand one interface item, which may hold a ``[lo-hi]`` range.

    >>> expand_interfaces("eth[1-3]")
    ['eth1', 'eth2', 'eth3']
    >>> expand_interfaces("GigabitEthernet0/[0-1]")
    ['GigabitEthernet0/0', 'GigabitEthernet0/1']
    >>> expand_interfaces("eth0")
    ['eth0']
    """
    match = _RANGE.match(spec)
    if not match:
        return [spec]
    lo, hi = int(match["lo"]), int(match["hi"])
    if hi < lo or hi - lo > 4096:
        raise ValueError(f"interface range '{spec}' must go upward and hold at most 4096 names")
    return [f"{match['stem']}{n}{match['tail']}" for n in range(lo, hi + 1)]


def check_interface_name(name: str) -> str:
    """Refuse an interface name that is not one word of letters, digits and ``._/:-``.

    >>> check_interface_name("GigabitEthernet0/1")
    'GigabitEthernet0/1'
    >>> check_interface_name("eth1\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 'eth1\\n' is not a valid interface name: the text holds a control character ...
    """
    if len(name) > INTERFACE_MAX or not _INTERFACE.match(name):
        problem = text_problem(name, INTERFACE_MAX)
        why = f"the text {problem}" if problem else "it may hold only letters, digits and . _ / : -"
        raise ValueError(f"'{shown(name)}' is not a valid interface name: {why}")
    return name


class Device(Strict):
    """A managed network element."""

    name: DeviceName
    role: Role
    platform: Annotated[str, Field(max_length=64)]
    site: Slug
    mgmt_ip: IPv4Address
    loopback: IPv4Address | None = None
    snmp_profile: Slug
    ssh_credential: Slug
    interfaces: list[str] = Field(min_length=1)
    asn: int | None = Field(default=None, ge=1, le=4294967295)
    model: Text | None = None
    serial: Text | None = None

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        if value not in known_platforms():
            close = suggest_platform(value)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(
                f"unknown platform '{shown(value)}'{hint} (use a netutils normalised name, or 'frr')"
            )
        return value

    @field_validator("interfaces")
    @classmethod
    def _expand(cls, value: list[str], info: ValidationInfo) -> list[str]:
        names: list[str] = []
        for item in value:
            if len(item) > INTERFACE_MAX:
                raise ValueError(f"an interface name is {len(item)} characters long; at most {INTERFACE_MAX}")
            names.extend(expand_interfaces(item))
        seen: set[str] = set()
        for name in names:
            check_interface_name(name)
            if name in seen:
                raise ValueError(f"interface '{name}' is listed twice")
            seen.add(name)
        platform = info.data.get("platform")  # absent when the platform itself was refused
        if isinstance(platform, str):
            for name in names:
                problem = interface_problem(platform, name)
                if problem is not None:
                    raise ValueError(
                        f"'{name}' is not a {platform} interface name: {problem} (use the device's "
                        "own names; ranges like 'GE0/0/[1-4]' are allowed)"
                    )
        return names


class Agency(Strict):
    """A public body served by the network through a CPE."""

    id: Slug
    name: Name
    type: AgencyType
    site: Slug
    cpe: DeviceName
    service_level: ServiceLevel = ServiceLevel.SILVER
    lan_prefix: IPv4Network | None = None


_ENDPOINT = re.compile(
    r"^(?P<device>[A-Za-z0-9][A-Za-z0-9._-]*):(?P<interface>[A-Za-z0-9][A-Za-z0-9._/:-]*)\Z"
)


class Link(Strict):
    """A physical link between two device interfaces, written ``device:interface``."""

    a: Annotated[str, Field(max_length=HOSTNAME_MAX + 1 + INTERFACE_MAX)]
    b: Annotated[str, Field(max_length=HOSTNAME_MAX + 1 + INTERFACE_MAX)]
    a_ip: IPv4Interface | None = None
    b_ip: IPv4Interface | None = None
    capacity_mbps: int = Field(gt=0)
    medium: Medium
    ducts: list[Slug] = []
    protocol: Protocol = Protocol.OSPF
    cost: int | None = Field(default=None, ge=1, le=65535)
    traffic_mbps: float | None = Field(default=None, ge=0)

    @field_validator("a", "b")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not _ENDPOINT.match(value):
            raise ValueError(f"'{shown(value)}' is not 'device:interface' (for example 'hub-dx:eth3')")
        return value

    @model_validator(mode="after")
    def _addresses(self) -> Link:
        if (self.a_ip is None) != (self.b_ip is None):
            raise ValueError("give both a_ip and b_ip, or neither")
        return self

    @property
    def a_device(self) -> str:
        """Device name of end a."""
        return self.a.split(":", 1)[0]

    @property
    def a_interface(self) -> str:
        """Interface name of end a."""
        return self.a.split(":", 1)[1]

    @property
    def b_device(self) -> str:
        """Device name of end b."""
        return self.b.split(":", 1)[0]

    @property
    def b_interface(self) -> str:
        """Interface name of end b."""
        return self.b.split(":", 1)[1]

    @property
    def id(self) -> str:
        """The link's name, ``a--b``, as ``govnet lab fail link`` takes it."""
        return f"{self.a}--{self.b}"


#: The sections an inventory file may hold, with the model of one entry and its key field.
SECTIONS: dict[str, tuple[type[Strict] | None, str]] = {
    "province": (Province, "name"),
    "subnets": (Subnet, "name"),
    "credentials": (None, "name"),  # dispatched on 'kind' to CREDENTIAL_KINDS
    "snmp_profiles": (SNMPProfile, "name"),
    "ducts": (Duct, "id"),
    "sites": (Site, "id"),
    "devices": (Device, "name"),
    "agencies": (Agency, "id"),
    "links": (Link, "a"),
}
