"""`pip install 'ggen-mcp[market]'` really works: `make wheels` builds every distribution, and plain pip installs
the extras from that wheelhouse (`--no-index --find-links`) into fresh virtual environments, offline.

The fresh environments see this project's third-party dependencies (already installed by `make install`)
through a view of its site-packages that leaves out the ggen distributions, the way `--system-site-packages`
would, so pip must take ggen-mcp and its packs from the wheelhouse and nothing from any index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import anyio
import pytest

REPO = Path(__file__).resolve().parents[1]
PACK_DIRS = sorted(p for p in (REPO / "plugins").iterdir() if (p / "pyproject.toml").is_file())
EXAMPLE = REPO / "examples" / "ggen-hello"
pytestmark = pytest.mark.slow


# this run's settings, paths, coverage (pytest-cov's COV_*, coverage's COVERAGE_PROCESS_CONFIG: pip and the
# wheel builds run untraced, as in a user's shell), make flags
OUTER = ("GGEN_MCP_", "PYTHONPATH", "COV_", "COVERAGE_", "MAKE", "MFLAGS")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUTER)}
    return {**env, **extra}


def run(*command: str | Path, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, cwd=cwd, env=clean_env(), timeout=timeout
    )


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make wheels` into a temporary DIST, plus the example pack built the same way."""
    out = tmp_path_factory.mktemp("dist")
    made = run("make", "-s", "wheels", f"DIST={out}", cwd=REPO)
    assert made.returncode == 0, made.stdout + made.stderr
    example = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        out,
        EXAMPLE,
    )
    assert example.returncode == 0, example.stderr
    return out


@pytest.fixture(scope="module")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project's site-packages without the ggen distributions (links to everything else)."""
    view = tmp_path_factory.mktemp("site")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.lower()
        if name.startswith(("ggen_", "_editable_impl_ggen", "__editable__")) or name.endswith("coverage.pth"):
            continue
        (view / entry.name).symlink_to(entry)
    return view


def fresh_venv(where: Path, dependencies: Path) -> Path:
    """A new virtual environment that sees ``dependencies`` after its own site-packages."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env())
    own = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    ).stdout.strip()
    (Path(own) / "_project_dependencies.pth").write_text(f"import site; site.addsitedir({str(dependencies)!r})\n")
    return venv


def pip_install(venv: Path, wheelhouse: Path, *requirements: str) -> None:
    """Plain pip, offline; ``--no-compile``: the modules the test imports are compiled when first imported."""
    wheels = ("--no-index", "--find-links", wheelhouse)
    out = run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-compile", *wheels, *requirements)
    assert out.returncode == 0, out.stdout + out.stderr


def installed_here(venv: Path) -> set[str]:
    """The distributions pip installed into the venv itself (not the ones it sees through the view)."""
    code = (
        "import importlib.metadata as m, sysconfig\n"
        "print('\\n'.join(d.metadata['Name'] for d in m.distributions(path=[sysconfig.get_paths()['purelib']])))"
    )
    return set(run(venv / "bin" / "python", "-c", code).stdout.split())


def ggen(venv: Path, workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(GGEN_MCP_WORKSPACE=str(workspace))
    return subprocess.run([str(venv / "bin" / "ggen-mcp"), *args], capture_output=True, text=True, env=env, timeout=120)


def loaded(venv: Path, workspace: Path) -> set[str]:
    out = ggen(venv, workspace, "plugins", "--json")
    assert out.returncode == 0, out.stderr
    return {r["name"] for r in json.loads(out.stdout) if r["status"] == "loaded"}


def served_call(venv: Path, workspace: Path, tool: str, arguments: dict[str, Any]) -> Any:
    """Start the installed `ggen-mcp serve` over stdio, as an MCP client does, and call one tool."""
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=str(venv / "bin" / "ggen-mcp"), args=["serve", "--workspace", str(workspace)], env=clean_env()
    )

    async def call() -> Any:
        async with Client(params, mode="legacy") as client:
            return await client.call_tool(tool, arguments)

    return anyio.run(call)


def test_make_wheels_builds_every_distribution(wheelhouse: Path) -> None:
    names = sorted(p.name.split("-")[0] for p in wheelhouse.glob("*.whl"))
    packs = [d.name.replace("-", "_") for d in PACK_DIRS]
    assert names == sorted(["ggen_mcp", "ggen_hello", *packs])
    assert {"ggen_graph", "ggen_template", "ggen_market", "ggen_hook", "ggen_ai"} <= set(packs)


@pytest.mark.parametrize("pack_dir", [REPO, *PACK_DIRS], ids=lambda p: p.name)
def test_wheel_ships_py_typed(wheelhouse: Path, pack_dir: Path) -> None:
    """Each distribution is marked typed (PEP 561), so mypy checks code that imports it against its hints."""
    project = "ggen_mcp" if pack_dir == REPO else pack_dir.name.replace("-", "_")
    package = "ggen_mcp_core" if pack_dir == REPO else project
    (wheel,) = wheelhouse.glob(f"{project}-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert f"{package}/py.typed" in archive.namelist()


def test_market_extra_installs_host_and_market_only(tmp_path: Path, wheelhouse: Path, dependencies: Path) -> None:
    venv = fresh_venv(tmp_path, dependencies)
    pip_install(venv, wheelhouse, "ggen-mcp[market]")
    assert installed_here(venv) == {"ggen-mcp", "ggen-market"}
    workspace = tmp_path / "ws"
    workspace.mkdir()
    assert loaded(venv, workspace) == {"market"}
    result = served_call(venv, workspace, "market_list", {})
    assert not result.is_error, result.content
    assert "io.ggen.python.models" in {pack["id"] for pack in result.structured_content["packs"]}


def test_host_alone_serves_no_tools_and_says_so(tmp_path: Path, wheelhouse: Path, dependencies: Path) -> None:
    venv = fresh_venv(tmp_path, dependencies)
    pip_install(venv, wheelhouse, "ggen-mcp")
    assert installed_here(venv) == {"ggen-mcp"}
    assert loaded(venv, tmp_path) == set()
    plugins = ggen(venv, tmp_path, "plugins")
    assert "no plugins installed" in plugins.stdout
    assert "no tools" in ggen(venv, tmp_path, "tools").stdout


def test_all_extra_and_the_example_pack(tmp_path: Path, wheelhouse: Path, dependencies: Path) -> None:
    venv = fresh_venv(tmp_path, dependencies)
    pip_install(venv, wheelhouse, "ggen-mcp[all]", "ggen-hello")
    assert {"ggen-mcp", "ggen-graph", "ggen-template", "ggen-market", "ggen-hook", "ggen-ai"} <= installed_here(venv)
    assert {"graph", "template", "market", "hook", "ai", "hello"} <= loaded(venv, tmp_path)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    asked = served_call(venv, workspace, "graph_query", {"sparql": "ASK { ?s ?p ?o }"})
    assert not asked.is_error, asked.content
    assert asked.structured_content["boolean"] is False
    out = ggen(venv, tmp_path, "call", "hello_greet", "--args", '{"name": "Ada", "save_as": "greetings/ada.txt"}')
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout) == {"greeting": "Hello, Ada!", "saved_to": "greetings/ada.txt"}
    assert (tmp_path / "greetings" / "ada.txt").read_text() == "Hello, Ada!\n"
    refused = ggen(venv, tmp_path, "call", "hello_greet", "--args", '{"name": "nobody"}')
    assert refused.returncode == 1 and "cannot greet nobody" in refused.stdout


def test_all_extra_names_every_pack(wheelhouse: Path) -> None:
    """`ggen-mcp[all]` pins every first-party pack at the host's version (the release publishes them together)."""
    (host,) = wheelhouse.glob("ggen_mcp-*.whl")
    with zipfile.ZipFile(host) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    version = next(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Version: "))
    all_extra = {
        line.split(";")[0].split(": ", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist: ") and "extra == 'all'" in line
    }
    assert all_extra == {f"{d.name}=={version}" for d in PACK_DIRS}
