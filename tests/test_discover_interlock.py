"""Discovery's NAPALM fallback goes through the lab interlock like every other session to a device.

The address is on loopback and in a deny range set for the child process (the interlock's
settings are read once per process), and the credential's port is one of this lane's that nobody
listens on: had the interlock been skipped, the attempt would have stayed on this machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.mini import MINI_SECRETS, mini_files, write_inventory

#: The child: NAPALM's LLDP for the Cisco IOS device of the mini inventory (a driver that is not
#: govnet's own FRR driver, which checks the address by itself).
CHILD = """
import sys
from pathlib import Path
from govnet.errors import GovnetError, SafetyError
from govnet.inventory.loader import load_inventory
from govnet.monitor.discover import napalm_lldp
network = load_inventory(Path(sys.argv[1]))
try:
    napalm_lldp(network, "cpe-ubnd")
except SafetyError as exc:
    print("refused:", exc.message)
except GovnetError as exc:
    print("contacted:", exc.message)
"""


def _lane_port() -> int:
    return 20000 + 1000 * int(os.environ.get("GOVNET_TEST_LANE", "0")) + 922


def test_the_napalm_lldp_fallback_refuses_a_denied_address_before_connecting(tmp_path: Path) -> None:
    files = mini_files()
    for subnet in files["province.yaml"]["subnets"]:
        if subnet["purpose"] == "management":
            subnet["prefix"] = "127.0.0.0/24"
    for credential in files["province.yaml"]["credentials"]:
        if credential["kind"] == "ssh":
            credential["port"] = _lane_port()
    for device in files["network.yaml"]["devices"]:
        device["mgmt_ip"] = device["mgmt_ip"].replace("198.18.0.", "127.0.0.")
    root = write_inventory(tmp_path / "inventory", files)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **MINI_SECRETS, "GOVNET_DENY_RANGES": "127.0.0.0/24"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "refused: 127.0.0.12 is in 127.0.0.0/24, a range govnet never contacts (GOVNET_DENY_RANGES)"
    ), proc.stdout
