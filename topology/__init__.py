"""The network as a graph: single points of failure, failure impact, what-if, exports, drift.

:mod:`govnet.topology.graph` builds a NetworkX multigraph from the inventory (or reads GraphML);
:mod:`govnet.topology.impact` is the near-linear failure-impact engine; :mod:`govnet.topology.report` names
the agencies, BTS sites and hotspots behind each failure; :mod:`govnet.topology.whatif` plays combined
failures; :mod:`govnet.topology.suggest` proposes the cheapest extra links; :mod:`govnet.topology.export`
writes GraphML, GeoJSON and SVG; :mod:`govnet.topology.drift` compares discovered links to the inventory.
"""

if __name__ != "govnet.topology":  # one import root: see scripts/restructure.py
    raise ImportError(f"{__name__} is installed as govnet.topology: import it by that name")
