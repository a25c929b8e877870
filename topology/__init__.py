"""The network as a graph: single points of failure, failure impact, what-if, exports, drift.

:mod:`topology.graph` builds a NetworkX multigraph from the inventory (or reads GraphML);
:mod:`topology.impact` is the near-linear failure-impact engine; :mod:`topology.report` names
the agencies, BTS sites and hotspots behind each failure; :mod:`topology.whatif` plays combined
failures; :mod:`topology.suggest` proposes the cheapest extra links; :mod:`topology.export`
writes GraphML, GeoJSON and SVG; :mod:`topology.drift` compares discovered links to the inventory.
"""
