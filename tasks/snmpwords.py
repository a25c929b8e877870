"""SNMPv3 protocol names as each platform's configuration spells them, and only those it has.

The inventory names USM protocols once (``sha``, ``sha256``, ``aes``, ``aes256``, ``aes256c`` ...;
``aes192``/``aes256`` are the Blumenthal key extension net-snmp uses, ``aes192c``/``aes256c``
Cisco's). A platform that cannot do a protocol gets an error naming the device's credential, never
a weaker protocol in its place.

Sources: Cisco IOS ``snmp-server user ... v3 auth {md5 | sha} ... priv {des | 3des | aes {128 |
192 | 256}}`` (Cisco IOS SNMP Support Command Reference; its AES-192/256 use Cisco's key
extension); Huawei VRP ``snmp-agent usm-user v3 ... authentication-mode {md5 | sha | sha2-224 |
sha2-256 | sha2-384 | sha2-512}`` and ``privacy-mode {des56 | aes128 | aes192 | aes256}``
(VRP Command Reference, SNMP); MikroTik RouterOS ``/snmp community``
``authentication-protocol=MD5|SHA1``, ``encryption-protocol=DES|AES`` (RouterOS manual, SNMP).
"""

from __future__ import annotations

from govnet.errors import GovnetError

#: platform -> (auth words, priv words)
WORDS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "cisco_ios": (
        {"md5": "md5", "sha": "sha"},
        {"des": "des", "aes": "aes 128", "aes192c": "aes 192", "aes256c": "aes 256"},
    ),
    "huawei_vrp": (
        {
            "md5": "md5",
            "sha": "sha",
            "sha224": "sha2-224",
            "sha256": "sha2-256",
            "sha384": "sha2-384",
            "sha512": "sha2-512",
        },
        {"des": "des56", "aes": "aes128", "aes192": "aes192", "aes256": "aes256"},
    ),
    "mikrotik_routeros": ({"md5": "MD5", "sha": "SHA1"}, {"des": "DES", "aes": "AES"}),
}


class UnsupportedProtocolError(GovnetError):
    """The platform's configuration has no word for the inventory's SNMPv3 protocol."""


def snmp_words(platform: str, credential: str, auth: str, priv: str) -> tuple[str, str]:
    """(auth word, priv word) for ``platform``; platforms without a table keep govnet's names.

    >>> snmp_words("cisco_ios", "noc-v3", "sha", "aes256c")
    ('sha', 'aes 256')
    >>> snmp_words("cisco_ios", "noc-v3", "sha", "aes256")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govnet.tasks.snmpwords.UnsupportedProtocolError: credential 'noc-v3': cisco_ios has no SNMPv3 privacy ...
    """
    table = WORDS.get(platform)
    if table is None:
        return auth, priv
    out = []
    for kind, name, words in (("authentication", auth, table[0]), ("privacy", priv, table[1])):
        if name not in words:
            raise UnsupportedProtocolError(
                f"credential '{credential}': {platform} has no SNMPv3 {kind} '{name}'",
                hint=f"use one of {', '.join(sorted(words))} for devices on {platform}",
            )
        out.append(words[name])
    return out[0], out[1]
