"""A real network lab built from the inventory: FRR, sshd, snmpd and lldpd in Linux network
namespaces, plus its containerlab twin.

:mod:`govnet.lab.guard` keeps lab traffic from ever leaving through the default route;
:mod:`govnet.lab.subset` picks the lab's devices and writes the lab's own inventory;
:mod:`govnet.lab.node` builds one node; :mod:`govnet.lab.lifecycle` brings the lab up (checking the host
with :mod:`govnet.lab.host`, wiring it with :mod:`govnet.lab.wiring`, starting :mod:`govnet.lab.daemons`,
waiting with :mod:`govnet.lab.readiness`); :mod:`govnet.lab.teardown` takes it down; :mod:`govnet.lab.faults`
injects failures; :mod:`govnet.lab.clab` exports the same topology for containerlab.
"""

if __name__ != "govnet.lab":  # one import root: see scripts/restructure.py
    raise ImportError(f"{__name__} is installed as govnet.lab: import it by that name")
