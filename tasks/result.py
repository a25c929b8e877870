"""One device's outcome of a diff, push or send, as the ``--json`` report has it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from govnet.tasks.masking import mask

Status = Literal["unchanged", "changed", "failed", "rolled_back", "skipped"]


@dataclass
class DeviceResult:
    """One device's outcome, as the ``--json`` report has it."""

    name: str
    status: Status
    diff: str = ""
    error: str | None = None
    wave: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def mask_secrets(self, secrets: set[str]) -> None:
        """Mask secret values in the diff and the error before the result leaves the task: a
        vendor's running config shows communities in clear, and a sent line may hold a key."""
        self.diff = mask(self.diff, secrets)
        self.error = mask(self.error, secrets) if self.error else self.error

    @property
    def failed(self) -> bool:
        """Whether the device counts as a failure of the rollout."""
        return self.status in {"failed", "rolled_back"}
