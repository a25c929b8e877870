"""NAPALM's entry point for the ``frr`` driver: ``napalm.get_network_driver("frr")`` imports this
module and takes the NetworkDriver subclass it finds here, so only the driver is exported."""

from tasks.napalm_frr import FrrDriver

__all__ = ["FrrDriver"]
