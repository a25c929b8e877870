"""WiFi client counts, where an access point or controller exposes them.

No standard MIB counts associated clients (IEEE802dot11-MIB has none), so govnet reads the
vendor tables that do, one per radio or per SSID, and sums them:

* MikroTik RouterOS: MIKROTIK-MIB ``mtxrWlApClientCount``, indexed by the radio's ifIndex;
* Cisco WLC (AireOS): AIRESPACE-WIRELESS-MIB ``bsnApIfNoOfUsers``, indexed by AP MAC and slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govnet.snmp.ber import VarBind
from govnet.snmp.mibs import by_index, text

MIKROTIK_WL_AP_SSID = "1.3.6.1.4.1.14988.1.1.1.3.1.4"
MIKROTIK_WL_AP_CLIENT_COUNT = "1.3.6.1.4.1.14988.1.1.1.3.1.6"
AIRESPACE_AP_IF_NO_OF_USERS = "1.3.6.1.4.1.14179.2.2.2.1.15"

WIFI_COLUMNS = {
    "mtxrWlApSsid": MIKROTIK_WL_AP_SSID,
    "mtxrWlApClientCount": MIKROTIK_WL_AP_CLIENT_COUNT,
    "bsnApIfNoOfUsers": AIRESPACE_AP_IF_NO_OF_USERS,
}


@dataclass(frozen=True)
class WifiClients:
    """Clients associated now: the total and one count per radio (keyed by the table's index)."""

    total: int
    radios: dict[str, int] = field(default_factory=dict)
    ssids: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"total": self.total, "radios": self.radios, "ssids": self.ssids, "source": self.source}


def parse_wifi(tables: dict[str, list[VarBind]]) -> WifiClients | None:
    """Client counts from whichever vendor table answered; None when none did.

    >>> rows = [VarBind(MIKROTIK_WL_AP_CLIENT_COUNT + ".7", 0x41, 12)]
    >>> parse_wifi({MIKROTIK_WL_AP_CLIENT_COUNT: rows}).total
    12
    """
    for column, source in (
        (MIKROTIK_WL_AP_CLIENT_COUNT, "MIKROTIK-MIB"),
        (AIRESPACE_AP_IF_NO_OF_USERS, "AIRESPACE-WIRELESS-MIB"),
    ):
        rows = {
            k: vb.value
            for k, vb in by_index(tables.get(column, []), column).items()
            if not vb.is_exception and isinstance(vb.value, int)
        }
        if rows:
            ssids = {
                k: text(vb.value)
                for k, vb in by_index(tables.get(MIKROTIK_WL_AP_SSID, []), MIKROTIK_WL_AP_SSID).items()
                if k in rows
            }
            return WifiClients(sum(rows.values()), rows, ssids, source)
    return None
