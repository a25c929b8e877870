"""The source of truth: sites, agencies, devices, links and fiber ducts, validated.

Load with :func:`govnet.inventory.loader.load_inventory`; the result is an
:class:`govnet.inventory.network.Network`. The Nornir plugin is :mod:`govnet.inventory.nornir_plugin`.
The sample province ships with the package: :func:`sample_dir`.
"""

from pathlib import Path

if __name__ != "govnet.inventory":  # one import root: see scripts/restructure.py
    raise ImportError(f"{__name__} is installed as govnet.inventory: import it by that name")


def sample_dir() -> Path:
    """The sample province's inventory directory, shipped with this package.

    >>> (sample_dir() / "province.yaml").is_file()
    True
    """
    return Path(__file__).resolve().parent / "sample"
