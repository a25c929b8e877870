"""Every file the loader finds is read or named in an error: nothing is skipped silently.

A dangling symbolic link, a link loop, a FIFO or a directory where an inventory file is expected
used to be skipped, leaving a "valid" inventory with its devices gone. Each is now a problem
naming the path, what is wrong and what to do, and a FIFO is never opened for a blocking read.

Unreadable files: the suite runs as root, for whom permission bits do not stop a read, so the
open-error path (``OSError``) is exercised through ENOENT (dangling link) and ELOOP (link loop);
the read of something that is not a regular file through a directory named ``*.yaml``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from govnet.cli import main
from tests.conftest import tree_snapshot
from tests.mini import mini_files, write_inventory


def validate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--inventory", str(root), "inventory", "validate"])
    return code, capsys.readouterr().err


def _split_devices(root: Path) -> None:
    """Move the devices into their own file, as a province split per district would."""
    from govnet.inventory.yamlfile import dump_yaml

    files = mini_files()
    devices = files["network.yaml"].pop("devices")
    (root / "network.yaml").write_text(dump_yaml(files["network.yaml"]), encoding="utf-8")
    (root / "devices.yaml").write_text(dump_yaml({"devices": devices}), encoding="utf-8")


def _dangling(root: Path) -> None:
    (root / "devices.yaml").rename(root / "elsewhere.txt")
    (root / "devices.yaml").symlink_to(root / "gone" / "devices.yaml")


def _loop(root: Path) -> None:
    (root / "devices.yaml").rename(root / "elsewhere.txt")
    (root / "devices.yaml").symlink_to(root / "devices.yaml")


def _directory(root: Path) -> None:
    (root / "devices.yaml").rename(root / "elsewhere.txt")
    (root / "devices.yaml").mkdir()


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "dangling-symlink": (_dangling, "which does not exist"),
    "symlink-loop": (_loop, "loops back on itself"),
    "directory-named-yaml": (_directory, "is a directory, not a regular file"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_odd_inventory_file_is_named_not_skipped(
    case: str,
    tmp_path: Path,
    mini_secrets: dict[str, str],
    isolated_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = write_inventory(tmp_path / "inv", mini_files())
    _split_devices(root)
    assert validate(root, capsys)[0] == 0  # split, the inventory is still valid
    make, words = CASES[case]
    make(root)
    before = tree_snapshot(tmp_path, isolated_home)
    code, err = validate(root, capsys)
    assert code == 2, err
    (line,) = [line for line in err.splitlines() if line.strip().startswith("devices.yaml:")]
    assert words in line and "(fix: " in line
    assert tree_snapshot(tmp_path, isolated_home) == before


def within_deadline(run: Callable[[], tuple[int, str]], fifo: Path) -> tuple[int, str]:
    """``run()`` in a thread; if it blocks on ``fifo``, release it (a writer that closes at once)
    and fail the test instead of hanging the suite."""
    result: list[tuple[int, str]] = []
    worker = threading.Thread(target=lambda: result.append(run()), daemon=True)
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(timeout=10)
        pytest.fail(f"blocked reading the FIFO {fifo}")
    return result[0]


def test_a_fifo_is_named_and_never_blocks_the_loader(
    tmp_path: Path, mini_secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_inventory(tmp_path / "inv", mini_files())
    _split_devices(root)
    (root / "devices.yaml").unlink()
    fifo = root / "devices.yaml"
    os.mkfifo(fifo)
    code, err = within_deadline(lambda: validate(root, capsys), fifo)
    assert code == 2
    assert "devices.yaml" in err and "is a FIFO (named pipe), not a regular file" in err


def test_a_symlinked_directory_is_read_and_a_directory_loop_ends(
    tmp_path: Path, mini_secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_inventory(tmp_path / "inv", mini_files())
    _split_devices(root)
    shared = tmp_path / "shared"
    shared.mkdir()
    (root / "devices.yaml").rename(shared / "devices.yaml")
    (root / "district").symlink_to(shared, target_is_directory=True)
    (shared / "back").symlink_to(root, target_is_directory=True)  # a loop through the link
    code, err = validate(root, capsys)
    assert code == 0, err


def test_a_secrets_file_that_is_a_fifo_or_a_dangling_link_is_an_error(
    tmp_path: Path, mini_inventory: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GOVNET_SECRET_MINI_SSH")
    outside = tmp_path / "outside"
    outside.mkdir()
    fifo = outside / "secrets.yaml"
    os.mkfifo(fifo)
    argv = ["--inventory", str(mini_inventory), "--secrets", str(fifo), "inventory", "validate"]
    code, err = within_deadline(lambda: (main(argv), capsys.readouterr().err), fifo)
    assert code == 2
    assert "is a FIFO (named pipe)" in err
    link = outside / "link.yaml"
    link.symlink_to(outside / "missing.yaml")
    assert main(["--inventory", str(mini_inventory), "--secrets", str(link), "inventory", "validate"]) == 2
    assert "which does not exist" in capsys.readouterr().err


def test_a_csv_to_import_that_is_a_fifo_or_missing_is_named(
    tmp_path: Path, mini_inventory: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "agencies.csv"
    os.mkfifo(fifo)
    argv = [
        "--inventory",
        str(mini_inventory),
        "inventory",
        "import-csv",
        str(fifo),
        "--into",
        str(mini_inventory),
    ]
    before = tree_snapshot(mini_inventory, isolated_home)
    code, err = within_deadline(lambda: (main(argv), capsys.readouterr().err), fifo)
    assert code == 2
    assert "agencies.csv" in err and "is a FIFO (named pipe)" in err
    argv[4] = str(tmp_path / "missing.csv")
    assert main(argv) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert tree_snapshot(mini_inventory, isolated_home) == before
