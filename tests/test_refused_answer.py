"""A device's refusal is shown escaped: its answer echoes what was sent and marks the offending
character, and neither a control character nor an escape sequence in it may reach the operator's
terminal as it is (tasks/safe_send.py :class:`RefusedLineError`)."""

from __future__ import annotations

import unicodedata

from netmiko.exceptions import ConfigInvalidException

from govnet.tasks.safe_send import RefusedLineError, _refused

#: What a hostile answer could hold: clear the screen, a cursor move, a bell, a right-to-left override.
HOSTILE = "\x1b[2J\x1b[H\a\u202e"


def _raw_controls(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"}]


def test_an_ios_refusal_with_escape_sequences_is_shown_escaped() -> None:
    line = "interface GigabitEthernet0/1"
    answer = f"% Invalid input detected at '^' marker.{HOSTILE}"
    netmiko = ConfigInvalidException(f"Invalid input detected at command: {line}, matched error: {answer}")
    error = _refused(netmiko, [line])
    message = str(error)
    assert not _raw_controls(message), repr(message)
    assert "\\x1b[2J\\x1b[H\\x07\\u202e" in message, message
    assert message.startswith(
        f"the device refused the line '{line}': % Invalid input detected at '^' marker."
    )
    assert error.answer == answer  # the raw answer is kept for code, never printed as it is


def test_a_vrp_refusal_that_netmiko_did_not_parse_is_shown_escaped_too() -> None:
    error = _refused(
        ConfigInvalidException(f"Error: Unrecognized command found at '^' position.{HOSTILE}"), ["sysname x"]
    )
    assert not _raw_controls(str(error)) and "\\x1b[2J" in str(error), repr(str(error))


def test_the_refused_line_is_shown_escaped() -> None:
    message = str(
        RefusedLineError(f"description x{HOSTILE}", "Error: Wrong parameter found at '^' position.")
    )
    assert not _raw_controls(message) and "description x\\x1b[2J" in message, repr(message)
