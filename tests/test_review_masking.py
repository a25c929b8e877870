"""Red-team review of secret masking: a RouterOS export shows a secret quoted and escaped."""

from __future__ import annotations

import pytest

from govnet.tasks.escape import ros_str
from govnet.tasks.masking import MASK, mask

SECRET = 'k$ey"x\\y?z-tail'


@pytest.mark.parametrize(
    "line",
    [
        f"/snmp community add name=noc authentication-password={ros_str(SECRET)} addresses=198.18.0.0/22",
        f"/snmp community set [ find default=yes ] name={ros_str(SECRET)} addresses=198.18.0.0/22",
        f"/snmp set enabled=yes trap-community={ros_str(SECRET)}",
    ],
)
def test_a_known_secret_is_masked_in_its_routeros_quoted_form(line: str) -> None:
    masked = mask(line, {SECRET})
    assert "tail" not in masked and "k\\$ey" not in masked, masked
    assert MASK in masked


def test_a_quoted_routeros_password_with_an_escaped_quote_is_masked_whole() -> None:
    """Not a known secret (another device's, say): the quoted value is masked to its end."""
    masked = mask('/snmp community add authentication-password="ab\\"cd-tail" addresses=198.18.0.0/22', set())
    assert "cd-tail" not in masked and "ab" not in masked, masked
    assert masked.endswith(f"authentication-password={MASK} addresses=198.18.0.0/22"), masked
