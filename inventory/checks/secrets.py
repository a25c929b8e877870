"""The inventory's secrets: each reference looked up, each value fit to be written into a command.

A value never appears in a problem: a problem says what is wrong with it and where it is set.
"""

from __future__ import annotations

from pydantic import SecretStr

from govnet.inventory.models import SecretRef
from govnet.inventory.network import ResolvedSecrets
from govnet.inventory.parsed import Entry, problem_at
from govnet.inventory.problems import Problem
from govnet.inventory.secrets import SecretStore, env_name_for
from govnet.inventory.text import SECRET_MAX, text_problem

#: A credential's secret still to be generated: its key (credential, field) and its reference.
Pending = list[tuple[tuple[str, str], SecretRef]]


#: Characters a network OS command line reads as syntax where a community or key is typed bare:
#: ``?`` asks Cisco IOS and Huawei VRP for help (the character is never entered: the key would
#: silently differ), ``!`` and ``#`` start a comment (IOS and FRR; VRP), ``|`` an output filter
#: (IOS, VRP), ``;`` ends a RouterOS command, ``$`` reads a RouterOS variable, ``[ ]`` run a RouterOS
#: command, ``{ }`` a RouterOS block, quotes and ``\\`` quote or escape (VRP takes a quoted
#: string as one value; RouterOS and FRR too), and a backquote. RouterOS values are quoted by the
#: templates anyway (:func:`govnet.tasks.escape.ros_str`); IOS and VRP have no quoting for them,
#: and one credential may serve devices of every platform, so these are refused for all.
CLI_SYNTAX = frozenset("?!#|;$[]{}\"'\\`")


def secret_problem(value: str, *, one_word: bool) -> str | None:
    """Why a secret value cannot be used, never quoting it (None when it can).

    A community or key is written into device commands as one word of printable ASCII without
    the characters of :data:`CLI_SYNTAX`; a password is not written into commands (it logs the
    session in), but it still must be one line of printable characters.

    >>> secret_problem("s3cret-Value", one_word=True) is None
    True
    >>> secret_problem("public RW", one_word=True)
    'holds a space at character 7: a community or key is one word'
    >>> secret_problem("k3y;/system reset-configuration", one_word=True)[:53]
    "holds ';' at character 4, which a device's command li"
    """
    problem = text_problem(value, SECRET_MAX)
    if problem is not None:
        return problem
    if one_word:
        for index, char in enumerate(value):
            if char.isspace():
                return f"holds a space at character {index + 1}: a community or key is one word"
            if char in CLI_SYNTAX:
                return (
                    f"holds {char!r} at character {index + 1}, which a device's command line reads "
                    "as syntax (help, comment, command separator, variable or quoting): a community "
                    "or key is one word of letters, digits and - _ . , : / + = @ % ^ & * ( ) < > ~"
                )
            if not " " < char < "\x7f":
                return (
                    f"holds a non-ASCII character at character {index + 1}: device command lines "
                    "take a community or key as printable ASCII"
                )
    return None


def resolve_secrets(
    credentials: list[Entry], store: SecretStore, problems: list[Problem]
) -> tuple[ResolvedSecrets, Pending]:
    """Look every secret of the credentials up; return the values and the references still to be
    generated (a missing or unusable value is a problem appended to ``problems``)."""
    values: dict[tuple[str, str], SecretStr] = {}
    pending: Pending = []
    for entry in credentials:
        model = entry.model
        for field_name in type(model).model_fields:  # every SecretRef field, present and future
            ref = getattr(model, field_name, None)
            if not isinstance(ref, SecretRef):
                continue
            key = (str(getattr(model, "name", "")), field_name)
            value = store.lookup(ref)
            if value is None and ref.generate:
                pending.append((key, ref))
                continue
            if value is None:
                if ref.env:
                    hint = f"export {ref.env}=..."
                else:
                    assert ref.secret is not None
                    hint = f"add '{ref.secret}: ...' to {store.path} or export {env_name_for(ref.secret)}=..."
                problems.append(problem_at(entry, field_name, f"no value found for {ref.describe()}", hint))
                continue
            unsafe = secret_problem(value.get_secret_value(), one_word=field_name != "password")
            if unsafe is not None:
                problems.append(
                    problem_at(
                        entry,
                        field_name,
                        f"the value of {ref.describe()} {unsafe}",
                        "set the secret again: one line of printable characters"
                        + (
                            ""
                            if field_name == "password"
                            else " without spaces or ? ! # | ; $ [ ] { } quotes \\"
                        ),
                    )
                )
                continue
            values[key] = value
    return ResolvedSecrets(values), pending


def generate_pending(secrets: ResolvedSecrets, pending: Pending, store: SecretStore) -> None:
    """Give each pending reference its value: the store's, else a new one the store keeps.

    Call it only once everything else is sound, so that a broken inventory writes nothing anywhere.
    """
    for key, ref in pending:
        assert ref.secret is not None
        secrets.values[key] = store.lookup(ref) or store.generate(ref.secret)
