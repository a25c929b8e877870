"""A NAPALM driver for FRRouting, with the device agent it drives.

``napalm.get_network_driver("frr")`` imports this package and takes the NetworkDriver subclass it
finds here: :class:`napalm_frr.driver.FrrDriver`. ``govnet_cfg.py`` is the configuration agent the
driver talks to on the device (installed on every lab router as ``govnet-cfg``).
"""

from napalm_frr.driver import FrrDriver

__all__ = ["FrrDriver"]
