"""`pip install ggen-mcp[market]` really works: wheels built, installed in fresh virtual environments."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECTS = [
    REPO,
    *(REPO / "plugins" / f"ggen-{p}" for p in ("graph", "template", "market", "hook", "ai")),
    REPO / "examples" / "ggen-hello",
]
pytestmark = pytest.mark.slow


def uv(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [shutil.which("uv") or "", *args] if shutil.which("uv") else [sys.executable, "-m", "uv", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    for project in PROJECTS:
        uv("build", "--quiet", "--wheel", "--out-dir", str(out), str(project))
    return out


def venv_with(tmp_path: Path, wheelhouse: Path, *requirements: str) -> Path:
    venv = tmp_path / "venv"
    uv("venv", "--quiet", "-p", sys.executable, str(venv))
    python = venv / "bin" / "python"
    uv(
        "pip",
        "install",
        "--quiet",
        "-p",
        str(python),
        "--find-links",
        str(wheelhouse),
        "-c",
        str(REPO / "requirements.lock"),
        *requirements,
    )
    return venv


def ggen(venv: Path, workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GGEN_MCP_", "PYTHONPATH", "COV_"))}
    env["GGEN_MCP_WORKSPACE"] = str(workspace)
    return subprocess.run([str(venv / "bin" / "ggen-mcp"), *args], capture_output=True, text=True, env=env, timeout=120)


def loaded(venv: Path, workspace: Path) -> set[str]:
    out = ggen(venv, workspace, "plugins", "--json")
    assert out.returncode == 0, out.stderr
    return {r["name"] for r in json.loads(out.stdout) if r["status"] == "loaded"}


def test_wheels_built(wheelhouse: Path) -> None:
    names = sorted(p.name.split("-")[0] for p in wheelhouse.glob("*.whl"))
    assert names == ["ggen_ai", "ggen_graph", "ggen_hello", "ggen_hook", "ggen_market", "ggen_mcp", "ggen_template"]


@pytest.mark.parametrize("package", ["ggen_mcp_core", "ggen_graph", "ggen_template", "ggen_market", "ggen_hook"])
def test_wheel_ships_py_typed(wheelhouse: Path, package: str) -> None:
    """Each distribution is marked typed (PEP 561), so mypy checks code that imports it against its hints."""
    project = "ggen_mcp" if package == "ggen_mcp_core" else package
    (wheel,) = wheelhouse.glob(f"{project}-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert f"{package}/py.typed" in archive.namelist()


def test_market_extra_installs_host_and_market_only(tmp_path: Path, wheelhouse: Path) -> None:
    venv = venv_with(tmp_path, wheelhouse, "ggen-mcp[market]")
    assert loaded(venv, tmp_path) == {"market"}
    freeze = uv("pip", "freeze", "-p", str(venv / "bin" / "python")).stdout
    assert "ggen-market==0.1.0" in freeze and "ggen-graph" not in freeze and "ggen-template" not in freeze


def test_host_alone_serves_no_tools_and_says_so(tmp_path: Path, wheelhouse: Path) -> None:
    venv = venv_with(tmp_path, wheelhouse, "ggen-mcp")
    assert loaded(venv, tmp_path) == set()
    plugins = ggen(venv, tmp_path, "plugins")
    assert "no plugins installed" in plugins.stdout
    assert "no tools" in ggen(venv, tmp_path, "tools").stdout


def test_all_extra_and_the_example_pack(tmp_path: Path, wheelhouse: Path) -> None:
    venv = venv_with(tmp_path, wheelhouse, "ggen-mcp[all]", "ggen-hello")
    assert loaded(venv, tmp_path) == {"graph", "template", "market", "hook", "ai", "hello"}
    out = ggen(venv, tmp_path, "call", "hello_greet", "--args", '{"name": "Ada", "save_as": "greetings/ada.txt"}')
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout) == {"greeting": "Hello, Ada!", "saved_to": "greetings/ada.txt"}
    assert (tmp_path / "greetings" / "ada.txt").read_text() == "Hello, Ada!\n"
    refused = ggen(venv, tmp_path, "call", "hello_greet", "--args", '{"name": "nobody"}')
    assert refused.returncode == 1 and "cannot greet nobody" in refused.stdout
