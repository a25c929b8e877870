"""Provisioning: render intended configs, and (to come) diff, push, verify, back up and roll back.

:mod:`tasks.render` turns the inventory into each device's intended configuration through
Jinja2 templates per platform and role.
"""
