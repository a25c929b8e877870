"""Per-platform quoting of inventory text inside router commands (Jinja filters).

The inventory already refuses line breaks, control and bidirectional characters in free text
(:mod:`govnet.inventory.text`); these filters handle what is legal text but still means something to a
device's command line, and the devices' length limits:

* Cisco IOS and Huawei VRP take a description as the rest of the line, but their command line
  treats ``?`` as a request for help wherever it is typed (the character is never entered), so
  ``?`` is written as ``.``. Runs of spaces are one space, as the devices store them. IOS keeps
  at most 240 bytes of a description, VRP 242 (their ``description`` command references); the
  text is cut on a character boundary to fit in UTF-8.
* FRR joins the words of ``description LINE...`` with single spaces; runs of spaces are one
  space, so the intended config reads back identically.
* RouterOS values go in double quotes with the escapes of its scripting language (MikroTik
  Manual:Scripting, "Constant Escape Sequences"): ``\\"``, ``\\\\``, ``\\$`` (else a variable),
  ``\\?`` (else help in the console) and ``\\XX`` in capital hexadecimal for every byte outside
  printable ASCII, as RouterOS itself exports non-ASCII text (a control character would be hidden the
  same way, so it is left as it is for the render guard to refuse).
* A single-word value (a route name) has its spaces replaced by ``_``.
"""

from __future__ import annotations

import re
import unicodedata

#: Runs of spaces only: a control character or line break is left in place for the render guard
#: to refuse (quietly turning it into a space would hide a value that should never get here).
_BLANKS = re.compile(r" +")


def _fit(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8, never inside a character.

    >>> _fit("Hạnh", 3)
    'H'
    """
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def cli_text(value: str, max_bytes: int) -> str:
    """A description for the Cisco IOS or Huawei VRP command line.

    >>> cli_text("UBND  xã Đức Hạnh?", 240)
    'UBND xã Đức Hạnh.'
    """
    return _fit(_BLANKS.sub(" ", str(value)).strip().replace("?", "."), max_bytes).rstrip()


def cli_word(value: str, max_bytes: int) -> str:
    """One word for the Cisco IOS or Huawei VRP command line (a static route's name).

    >>> cli_word("UBND xã Đức Hạnh", 30)
    'UBND_xã_Đức_Hạnh'
    """
    return _fit(_BLANKS.sub("_", str(value).strip()).replace("?", "."), max_bytes)


def frr_text(value: str) -> str:
    """A description for FRR: words joined by single spaces, as FRR stores it.

    >>> frr_text("hub-dx  eth3 - UBND xã")
    'hub-dx eth3 - UBND xã'
    """
    return _BLANKS.sub(" ", str(value)).strip()


_GUARDED = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
_ROS_ESCAPES = {'"': '\\"', "\\": "\\\\", "$": "\\$", "?": "\\?"}


def ros_str(value: str) -> str:
    """A RouterOS double-quoted string.

    >>> ros_str('say "hi" $x?')
    '"say \\\\"hi\\\\" \\\\$x\\\\?"'
    >>> ros_str("xã")
    '"x\\\\C3\\\\A3"'
    """
    out: list[str] = []
    for char in str(value):
        if char in _ROS_ESCAPES:
            out.append(_ROS_ESCAPES[char])
        elif " " <= char <= "~" or unicodedata.category(char) in _GUARDED:
            out.append(char)
        else:
            out.extend(f"\\{byte:02X}" for byte in char.encode("utf-8"))
    return '"' + "".join(out) + '"'


def ros_unquote(value: str) -> str:
    """The text a RouterOS value stands for: a bare word as it is, a double-quoted string with its
    escapes decoded (``\\XX`` bytes as UTF-8, ``\\n``/``\\r``/``\\t`` the control characters, any
    other escaped character itself), the inverse of :func:`ros_str`.

    >>> ros_unquote(ros_str('say "hi" $x? xã')), ros_unquote("ether1")
    ('say "hi" $x? xã', 'ether1')
    """
    if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
        return value
    body, out, index = value[1:-1], bytearray(), 0
    while index < len(body):
        char = body[index]
        pair = body[index + 1 : index + 3]
        if char != "\\" or index + 1 == len(body):
            out += char.encode("utf-8")
            index += 1
        elif len(pair) == 2 and all(c in "0123456789ABCDEF" for c in pair):
            out.append(int(pair, 16))
            index += 3
        else:
            nxt = body[index + 1]
            out += _ROS_CONTROL.get(nxt, nxt).encode("utf-8")
            index += 2
    return out.decode("utf-8", errors="replace")


_ROS_CONTROL = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "_": " "}
