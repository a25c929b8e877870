"""The source of truth: sites, agencies, devices, links and fiber ducts, validated.

Load with :func:`inventory.loader.load_inventory`; the result is an
:class:`inventory.network.Network`. The Nornir plugin is :mod:`inventory.nornir_plugin`.
"""
