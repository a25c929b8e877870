"""Rules for free text from outside (inventory files, CSV imports, secrets): data, never syntax.

Every string an engineer or a spreadsheet supplies may end up on a router's command line (a
description, a hostname, an SNMP user) or in a report. A line break in it would start a new
router command; a terminal or bidirectional control character would make a report lie about
what it shows; template syntax must stay text. So every free-text value is refused, with the
position and the Unicode name of the first offending character, when it holds:

* a control character: C0 (U+0000-001F, tab and line feed included), DEL (U+007F), C1
  (U+0080-009F, NEL U+0085 included) - Unicode category ``Cc``;
* a line or paragraph separator (U+2028, U+2029 - categories ``Zl``, ``Zp``);
* a format character (category ``Cf``): the bidirectional embeddings and overrides
  U+202A-202E, the isolates U+2066-2069, LRM/RLM/ALM, zero-width characters, U+FEFF ...;
* a surrogate, private-use or unassigned code point (``Cs``, ``Co``, ``Cn``);
* template syntax (``{{``, ``{%``, ``{#``): the templates never evaluate data, and a value that
  looks like a template is a mistake or an attack either way.

Vietnamese letters (precomposed or with combining marks, category ``Mn``) are ordinary text.

Length limits follow the devices that receive the text:

* hostnames: 63 characters (RFC 1035 section 2.3.4 label limit; Cisco IOS ``hostname`` takes at
  most 63 characters) - :data:`HOSTNAME_MAX`;
* interface descriptions: Cisco IOS ``description`` takes at most 240 characters, Huawei VRP
  ``description`` 242 - :data:`DESCRIPTION_MAX` is the smaller;
* SNMPv3 user names: ``SnmpAdminString (SIZE(1..32))`` (RFC 3414, usmUserName) -
  :data:`USERNAME_MAX`; SSH user names share it (Linux ``useradd`` allows 32);
* interface names: 64 (Cisco and Huawei names are shorter; the limit only stops abuse);
* names of agencies, sites, districts, ducts: :data:`NAME_MAX` (120): they are written into
  descriptions together with a device and interface name, so a name must leave room for those
  within :data:`DESCRIPTION_MAX`.
"""

from __future__ import annotations

import unicodedata

#: Longest hostname a device accepts (RFC 1035 label; Cisco IOS ``hostname``).
HOSTNAME_MAX = 63
#: Longest interface description (Cisco IOS ``description``: 240; Huawei VRP: 242).
DESCRIPTION_MAX = 240
#: Longest SNMPv3 user name (RFC 3414 usmUserName, SnmpAdminString (SIZE(1..32))).
USERNAME_MAX = 32
#: Longest interface name govnet accepts.
INTERFACE_MAX = 64
#: Longest name of an agency, site, district, duct or province.
NAME_MAX = 120
#: Longest other free text (site address, model, serial, a path).
TEXT_MAX = DESCRIPTION_MAX
#: Longest secret value.
SECRET_MAX = 256

_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cf": "an invisible format or bidirectional control character",
    "Cs": "a surrogate code point",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}
_TEMPLATE_OPENERS = ("{{", "{%", "{#")


def char_name(char: str) -> str:
    """``U+XXXX NAME`` of one character, for messages.

    >>> char_name("\\n"), char_name("\\u202e")
    ('U+000A LINE FEED', 'U+202E RIGHT-TO-LEFT OVERRIDE')
    """
    code = ord(char)
    name = unicodedata.name(char, "")
    if not name:
        name = {
            0x0A: "LINE FEED",
            0x0D: "CARRIAGE RETURN",
            0x09: "TAB",
            0x00: "NUL",
            0x07: "BEL",
            0x7F: "DELETE",
            0x85: "NEXT LINE",
        }.get(code, "control character")
    return f"U+{code:04X} {name}"


def text_problem(value: str, limit: int) -> str | None:
    """Why ``value`` cannot be free text, or None when it can.

    The message never repeats the value (it may be huge, or a secret).

    >>> text_problem("UBND xã Đức Hạnh", 120) is None
    True
    >>> text_problem("UBND\\n ip route 0.0.0.0/0 198.18.8.1", 120)[:61]
    'holds a control character (U+000A LINE FEED) at character 5: '
    >>> text_problem("x" * 200, 120)
    'is 200 characters long; at most 120 are allowed'
    """
    if len(value) > limit:
        return f"is {len(value)} characters long; at most {limit} are allowed"
    for index, char in enumerate(value):
        what = _REFUSED_CATEGORIES.get(unicodedata.category(char))
        if what is not None:
            return (
                f"holds {what} ({char_name(char)}) at character {index + 1}: "
                "free text must be one line of printable characters"
            )
    for opener in _TEMPLATE_OPENERS:
        at = value.find(opener)
        if at >= 0:
            return (
                f"holds template syntax '{opener}' at character {at + 1}: "
                "inventory text is data; remove the braces"
            )
    return None


def shown(value: object, limit: int = 40) -> str:
    """A value as messages may print it: non-printable characters escaped, long text cut.

    >>> shown("UBND\\n ip route")
    'UBND\\\\n ip route'
    >>> shown("a\\u202eb"), shown("x" * 50, 10)
    ('a\\\\u202eb', 'xxxxxxxxxx… (50 characters)')
    """
    text = str(value)
    cut = text[:limit]
    out = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in cut)
    if len(text) > limit:
        out += f"… ({len(text)} characters)"
    return out
