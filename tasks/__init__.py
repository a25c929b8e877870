"""Provisioning: render intended configs, and (to come) diff, push, verify, back up and roll back.

:mod:`govnet.tasks.render` turns the inventory into each device's intended configuration through
Jinja2 templates per platform and role.
"""

if __name__ != "govnet.tasks":  # one import root: see scripts/restructure.py
    raise ImportError(f"{__name__} is installed as govnet.tasks: import it by that name")
