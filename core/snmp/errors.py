"""What can go wrong in an SNMP exchange, told apart by whether the agent answered.

* :class:`SnmpTimeoutError`: no answer at all (within the timeout and retries);
* :class:`SnmpAgentError`: the agent *did* answer, with an error-status
  (:class:`SnmpStatusError`), with bytes that are not well-formed SNMP naming the request they
  answer (:class:`SnmpMalformedError`), or only with datagrams govnet cannot read at all
  (:class:`SnmpUnreadableError`). Whoever reports reachability counts these as an answer.
"""

from __future__ import annotations

from govnet.errors import GovnetError

#: RFC 3416 error-status values by number.
ERROR_STATUS = {
    0: "noError",
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}
TOO_BIG, NO_SUCH_NAME = 1, 2


class SnmpError(GovnetError):
    """An SNMP exchange failed (timeout, error status, garbage)."""


class SnmpTimeoutError(SnmpError):
    """No answer within the timeout and retries."""


class SnmpAgentError(SnmpError):
    """The agent answered, but not with what was asked: it is alive."""


class SnmpStatusError(SnmpAgentError):
    """The agent answered with a non-zero error-status; ``index`` is 1-based (0: no varbind named)."""

    def __init__(self, host: str, status: int, index: int) -> None:
        self.status, self.index = status, index
        self.status_name = ERROR_STATUS.get(status, f"error-status {status}")
        super().__init__(f"{host}: agent answered {self.status_name} ({status}) at index {index}")


class SnmpMalformedError(SnmpAgentError):
    """The agent answered bytes that are not well-formed SNMP; ``oid`` says where, when known."""

    def __init__(self, host: str, problem: str, oid: str | None = None) -> None:
        self.problem, self.oid = problem, oid
        super().__init__(
            f"{host}: malformed answer: {problem}",
            hint="the agent's encoding is broken (upgrade or report it); the value was refused, not guessed",
        )


class SnmpUnreadableError(SnmpAgentError):
    """Datagrams came back from the agent's address and port (a connected socket takes no other),
    but none could be read as an answer to the request: the agent is there, its SNMP is broken."""

    def __init__(self, host: str, port: int, count: int, last: str) -> None:
        self.count, self.last = count, last
        super().__init__(
            f"{host}:{port}: answered {count} datagram(s) govnet cannot read as SNMP (the last: {last})",
            hint="the agent's SNMP is broken or another service listens on its SNMP port",
        )
