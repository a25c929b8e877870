"""Where and how to reach one SNMP agent: connection parameters, no I/O.

The inventory (:mod:`govnet.inventory.snmp`) builds a :class:`Target` per device from its profile
and credential; the sessions of :mod:`govnet.snmp.client` and :mod:`govnet.snmp.v3` take one. It
lives apart from the client so that describing a target never loads an SNMP engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from govnet.snmp.errors import SnmpError


@dataclass(frozen=True)
class Target:
    """Where and how to poll one agent. Secrets stay :class:`SecretStr`."""

    host: str
    port: int = 161
    version: Literal["2c", "3"] = "2c"
    community: SecretStr | None = None
    user: str | None = None
    auth_protocol: str = "sha"
    auth_key: SecretStr | None = None
    priv_protocol: str = "aes"
    priv_key: SecretStr | None = None
    timeout: float = 2.0
    retries: int = 1
    max_repetitions: int = 25
    #: The most varbinds one GETBULK may grow to (govnet.snmp.walk.walk_columns).
    max_varbinds: int = 256

    def __post_init__(self) -> None:
        if self.version == "2c" and self.community is None:
            raise SnmpError(
                f"{self.host}: SNMP v2c needs a community", hint="pass --community or set the profile"
            )
        if self.version == "3" and not (self.user and self.auth_key):
            raise SnmpError(
                f"{self.host}: SNMP v3 needs a user and an auth key (and a priv key for authPriv)",
                hint="pass --v3-user, --auth-key and --priv-key",
            )
