"""The lab takes its routers' configurations rendered (it imports nothing of govnet.tasks), and
its modules import at the top (issue #13: layers, item 6: one concern per file)."""

from __future__ import annotations

import ast
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from govnet.errors import LabError
from govnet.inventory.network import Network
from govnet.lab import lifecycle
from govnet.lab.clab import export
from govnet.lab.daemons import intended_config, save_configs
from govnet.lab.lifecycle import up
from govnet.lab.state import lab_dir, load_state
from govnet.lab.subset import is_light, lab_view, routers, select
from govnet.tasks.render import render_device

LAB = Path(__file__).resolve().parents[1] / "lab"


def test_the_lab_view_has_the_labs_routers_names_and_addresses(net: Network) -> None:
    subnet = IPv4Network("198.18.250.0/24")
    view = lab_view(net, size="small", mgmt_subnet=subnet, trap_port=10999)
    assert sorted(view.devices) == sorted(select(net, "small"))
    assert routers(view) == sorted(d for d in select(net, "small") if not is_light(net, d, "small"))
    for name, device in view.devices.items():
        assert device.mgmt_ip in subnet, name
        assert all(len(i) <= 15 and "/" not in i for i in device.interfaces), name
    assert [(r.host, r.port) for r in view.province.trap_receivers] == [(next(subnet.hosts()), 10999)]
    text = render_device(view, routers(view)[0])
    assert f"hostname {routers(view)[0]}" in text
    province = lab_view(net, size="province")
    light = [n for n in province.devices if n not in routers(province)]
    assert light and all(is_light(net, n, "province") for n in light)


def test_up_refuses_missing_or_foreign_configs_before_making_anything(
    net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    # were the check to come later, up() would stop here, before making anything either
    monkeypatch.setattr(lifecycle, "missing_prerequisites", lambda: ["(test) no lab from this test"])
    view = lab_view(net, size="small")
    configs = {name: render_device(view, name) for name in routers(view)}
    dropped = routers(view)[0]
    for bad, words in (
        (None, "missing"),
        ({k: v for k, v in configs.items() if k != dropped}, f"missing: {dropped}"),
        ({**configs, "not-a-lab-node": "hostname x\n"}, "not lab routers: not-a-lab-node"),
    ):
        with pytest.raises(LabError, match=words) as caught:
            up(net, bad, size="small", prefix="gvzz")
        assert "govnet.tasks.render" in (caught.value.hint or "")
        assert load_state("gvzz") is None  # refused before the state file or anything else


def test_clab_export_writes_the_configs_it_is_given(net: Network, tmp_path: Path) -> None:
    view = lab_view(net, size="small", user="govnet")
    configs = {name: f"! given for {name}\n" + render_device(view, name) for name in routers(view)}
    path = export(net, tmp_path / "out", configs, size="small")
    assert path.is_file()
    for name, text in configs.items():
        assert (tmp_path / "out" / "configs" / name / "frr.conf").read_text(encoding="utf-8") == text
    with pytest.raises(LabError, match="no rendered configuration for"):
        export(net, tmp_path / "other", {}, size="small")
    assert not (tmp_path / "other").exists()


def _imports(path: Path) -> tuple[list[str], list[int]]:
    """Modules a file imports, and the lines of imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names, nested = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            nested += [n.lineno for n in ast.walk(func) if isinstance(n, ast.Import | ast.ImportFrom)]
    return names, nested


@pytest.mark.parametrize(
    "path", sorted(p for p in LAB.glob("*.py") if p.name != "cli.py"), ids=lambda p: p.name
)
def test_the_lab_imports_no_task_and_imports_at_the_top(path: Path) -> None:
    names, nested = _imports(path)
    assert not [n for n in names if n.startswith(("govnet.tasks", "govnet.topology"))], path.name
    assert not nested, f"{path.name}: function-level imports at lines {nested}"
    assert len(path.read_text(encoding="utf-8").splitlines()) < 500, path.name


def test_the_lab_keeps_the_configs_it_was_given_private() -> None:
    """A router restarted without a pushed configuration boots the one given to up()."""
    save_configs("gvzz", {"core-01": "hostname core-01\n"})
    path = lab_dir("gvzz") / "configs" / "core-01.conf"
    assert intended_config("gvzz", "core-01") == "hostname core-01\n"
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(LabError, match="no intended configuration for lab router 'hub-dx'"):
        intended_config("gvzz", "hub-dx")
