"""A real network lab built from the inventory: FRR, sshd, snmpd and lldpd in Linux network
namespaces, plus its containerlab twin.

:mod:`lab.guard` keeps lab traffic from ever leaving through the default route;
:mod:`lab.subset` picks the lab's devices and writes the lab's own inventory;
:mod:`lab.node` builds one node; :mod:`lab.lifecycle` brings the lab up and down and injects
failures; :mod:`lab.clab` exports the same topology for containerlab.
"""
