"""Secret values for the credentials an inventory names.

The YAML only ever says *where* a secret is (:class:`govnet.inventory.models.SecretRef`): an
environment variable, or a key of a secrets file that lives outside the repository. Values are
held as :class:`pydantic.SecretStr`, so ``repr``, logs and exports show ``**********``.

Lookup order for ``{secret: KEY}``: the environment variable ``GOVNET_SECRET_<KEY>`` (upper
case, ``-`` as ``_``), then the secrets file: ``--secrets FILE``, else ``$GOVNET_SECRETS``,
else ``~/.config/govnet/secrets.yaml``. The file is a YAML mapping ``key: value``.
"""

from __future__ import annotations

import os
import secrets as _random
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from govnet.errors import SecretError
from govnet.inventory.models import SecretRef
from govnet.inventory.yamlfile import UnreadableFileError, YamlSyntaxError, dump_yaml, load_yaml
from govnet.logs import add_secrets
from govnet.paths import config_home


def env_name_for(key: str) -> str:
    """The environment variable that can carry a secrets-file key.

    >>> env_name_for("snmp-v3-auth")
    'GOVNET_SECRET_SNMP_V3_AUTH'
    """
    return "GOVNET_SECRET_" + key.upper().replace("-", "_")


def default_secrets_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$GOVNET_SECRETS`` or ``~/.config/govnet/secrets.yaml``."""
    env = os.environ if environ is None else environ
    given = env.get("GOVNET_SECRETS")
    return Path(given).expanduser() if given else config_home() / "secrets.yaml"


def _inside_git_repo(path: Path) -> Path | None:
    for parent in path.resolve().parents:
        if (parent / ".git").exists():
            return parent
    return None


class SecretStore:
    """Resolves :class:`SecretRef` values from the environment and one secrets file."""

    def __init__(self, path: Path | None = None, environ: Mapping[str, str] | None = None) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.path = path if path is not None else default_secrets_path(self.environ)
        self._file_values: dict[str, str] | None = None

    def check_location(self, inventory_dir: Path) -> None:
        """Refuse a secrets file kept inside the inventory or inside a git work tree."""
        if not self.path.exists():
            return
        resolved = self.path.resolve()
        if resolved.is_relative_to(inventory_dir.resolve()):
            raise SecretError(
                f"the secrets file {self.path} lies inside the inventory directory {inventory_dir}",
                hint="move it outside the repository (default ~/.config/govnet/secrets.yaml) "
                "and point GOVNET_SECRETS at it",
            )
        repo = _inside_git_repo(resolved)
        if repo is not None:
            raise SecretError(
                f"the secrets file {self.path} lies inside the git repository {repo}",
                hint="keep secrets outside every repository; point GOVNET_SECRETS at the new place",
            )

    def _load_file(self) -> dict[str, str]:
        if self._file_values is None:
            self._file_values = {}
            if self.path.exists() or self.path.is_symlink():  # a dangling link is an error, not "no file"
                try:
                    data = load_yaml(self.path)
                except YamlSyntaxError as exc:
                    raise SecretError(
                        f"{self.path}:{exc.line}: {exc.message}",
                        hint="the secrets file is a YAML mapping key: value",
                    ) from exc
                except UnreadableFileError as exc:
                    raise SecretError(f"cannot read the secrets file: {exc.message}", hint=exc.hint) from exc
                if data is None:
                    data = {}
                if not isinstance(data, dict):
                    raise SecretError(
                        f"the secrets file {self.path} is not a mapping",
                        hint="write one 'key: value' per line",
                    )
                self._file_values = {str(k): str(v) for k, v in data.items() if v is not None}
        return self._file_values

    def lookup(self, ref: SecretRef) -> SecretStr | None:
        """The value of a reference, or None when it is nowhere to be found."""
        if ref.env is not None:
            value = self.environ.get(ref.env)
        else:
            assert ref.secret is not None
            value = self.environ.get(env_name_for(ref.secret)) or self._load_file().get(ref.secret)
        if not value:
            return None
        add_secrets([value])  # masked in every log line from now on (govnet.logs)
        return SecretStr(value)

    def generate(self, key: str) -> SecretStr:
        """Create a random value for ``key`` in the secrets file (mode 0600) and return it."""
        values = dict(self._load_file())
        value = _random.token_urlsafe(18)
        add_secrets([value])
        values[key] = value
        self.write(values)
        return SecretStr(value)

    def write(self, values: Mapping[str, str]) -> None:
        """Write the whole secrets file, readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a leftover temp file keeps its mode: set it
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("# govnet secrets: keep this file outside every repository\n")
            handle.write(dump_yaml(dict(values)))
        os.replace(tmp, self.path)
        self._file_values = dict(values)
