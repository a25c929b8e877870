"""Masking secrets in anything govnet shows or stores: known secret values, and the value of
any line that looks like a password, community or key (a backup, a diff, a report)."""

from __future__ import annotations

import re

from govnet.tasks.escape import ros_str

MASK = "********"
_SECRET_LINE = re.compile(
    r"^(?P<head>[^\S\n]*(?:\S+[^\S\n]+)*?"
    r"\b(?:password|secret|community|auth-key|priv-key|authentication-key|key-string"
    r"|message-digest-key \d+ md5)\b"
    r"(?:[^\S\n]+(?:\d+|read|write|cipher|simple)\b)*[^\S\n]+)(?P<value>\S+)",
    re.IGNORECASE | re.MULTILINE,
)
#: Where the vendors' own syntax puts a key or community after other words.
_SECRET_PLACES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        # VRP SNMPv3 users: authentication-mode sha [cipher] KEY, privacy-mode aes128 [cipher] KEY
        r"(?P<head>\b(?:authentication-mode|privacy-mode)[^\S\n]+\S+[^\S\n]+(?:cipher[^\S\n]+)?)(?P<value>\S+)",
        # IOS SNMPv3 users: ... v3 auth sha KEY priv aes 128 KEY
        r"(?P<head>\bv3[^\S\n]+(?:encrypted[^\S\n]+)?auth[^\S\n]+\S+[^\S\n]+)(?P<value>\S+)",
        r"(?P<head>\bpriv[^\S\n]+(?:3des|des|aes(?:[^\S\n]+\d+)?)[^\S\n]+)(?P<value>\S+)",
        # IOS trap host: version 2c COMMUNITY; VRP v2c target: securityname COMMUNITY v2c
        r"(?P<head>\bversion[^\S\n]+2c[^\S\n]+)(?P<value>\S+)",
        r"(?P<head>\bsecurityname[^\S\n]+)(?P<value>\S+)(?=[^\S\n]+v2c\b)",
        # RouterOS: authentication-password=K encryption-password=K trap-community=C
        r"(?P<head>\b(?:authentication-password|encryption-password|password|trap-community)=)"
        r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|\S+)",
    )
]


def _masked_value(match: re.Match[str]) -> str:
    return match.group("head") + MASK


def mask(text: str, secrets: set[str]) -> str:
    """Mask known secret values and the values of secret-looking lines and vendor key positions.

    >>> mask("snmp-server community s3cr3t RO\\nhostname hub\\n", {"s3cr3t"})
    'snmp-server community ******** RO\\nhostname hub\\n'
    >>> mask(" password 7 abcdef\\n", set())
    ' password 7 ********\\n'
    >>> mask("snmp-agent usm-user v3 u authentication-mode sha old-key\\n", set())
    'snmp-agent usm-user v3 u authentication-mode sha ********\\n'
    >>> mask("snmp-agent community read cipher abc acl 2000\\n", set())
    'snmp-agent community read cipher ******** acl 2000\\n'
    >>> mask("snmp-server user u G v3 auth sha k1 priv aes 128 k2\\n", set())
    'snmp-server user u G v3 auth sha ******** priv aes 128 ********\\n'
    >>> mask("add name=noc authentication-password=k1 encryption-password=k2 addresses=198.18.0.0/22", set())
    'add name=noc authentication-password=******** encryption-password=******** addresses=198.18.0.0/22'
    """
    # As given, and as a RouterOS export shows it inside quotes (escaped: \" \\ \$ \? \XX).
    forms = {form for value in secrets if value for form in (value, ros_str(value)[1:-1])}
    for value in sorted(forms, key=len, reverse=True):
        text = text.replace(value, MASK)
    for place in _SECRET_PLACES:
        text = place.sub(_masked_value, text)
    return _SECRET_LINE.sub(_masked_value, text)
