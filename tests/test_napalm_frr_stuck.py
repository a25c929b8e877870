"""The lab router's configuration agent (govnet-cfg) gives up on a routing stack that does not
answer, within its own bound, instead of waiting for ever (and, for a change, holding the node's
lock, so that no confirm timer could revert anything)."""

from __future__ import annotations

import os
import signal
import time

import pytest
from napalm.base.exceptions import CommitError

from govnet.lab.node import frr_pids
from napalm_frr.driver import FrrDriver
from napalm_frr.govnet_cfg import VTYSH_TIMEOUT_S
from tests.labkit import LabHandle

pytestmark = pytest.mark.lab


def test_a_stopped_routing_daemon_is_an_answer_within_the_bound_not_a_hang(lab: LabHandle) -> None:
    node = "hub-dx"
    cred = lab.network.ssh_credential(node)
    # The SSH session waits longer than the agent's bound: what ends the wait must be the agent.
    driver = FrrDriver(lab.mgmt[node], cred.username, lab.secret("lab-ssh", "password"), timeout=90)
    driver.open()
    pids = frr_pids(lab.namespaces[node])
    # vtysh asks every daemon for its part of the running config, watchfrr included (which would
    # otherwise restart the stopped daemon): both stopped, vtysh waits for an answer.
    stopped = [pid for name in ("watchfrr", "ospfd") if (pid := pids.get(name)) is not None]
    assert len(stopped) == 2, pids
    try:
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(CommitError, match=rf"vtysh did not answer within {VTYSH_TIMEOUT_S} s"):
            driver.get_config(retrieve="running")
        assert time.monotonic() - started < 80
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    assert "hostname hub-dx" in driver.get_config(retrieve="running")["running"]
    driver.close()
