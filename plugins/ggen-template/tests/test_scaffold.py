"""`ggen-mcp pack new NAME`: the created pack installs, passes its own tests (an MCP session and the host's
ToolFamilyConformance) without edits, and is ruff- and mypy --strict-clean; bad names and existing folders are
refused before anything is written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ggen_template.scaffold import pack_group

BIN = Path(sys.executable).parent
EXPECTED_FILES = [
    "README.md",
    "ggen_mcp_demo/__init__.py",
    "ggen_mcp_demo/plugin.py",
    "ggen_mcp_demo/py.typed",
    "ggen_mcp_demo/settings.py",
    "ggen_mcp_demo/tools/__init__.py",
    "ggen_mcp_demo/tools/demo_hello.py",
    "pyproject.toml",
    "tests/test_demo_hello.py",
]


def clean_env(*, measured: bool = False) -> dict[str, str]:
    """The environment of a user's shell: no test-run settings or paths of this suite, and no coverage hook
    (coverage's ``COVERAGE_PROCESS_CONFIG``) unless ``measured``: the tools (pip, mypy, the created pack's own
    tests) run as in a user's shell, without the tracer that doubled their CPU time; `ggen-mcp pack new`, the
    code under test, is measured."""
    outer = ("GGEN_MCP_", "PYTHONPATH", "COV_") + (() if measured else ("COVERAGE_",))
    return {k: v for k, v in os.environ.items() if not k.startswith(outer)}


def run(*command: str | Path, cwd: Path, measured: bool = False) -> subprocess.CompletedProcess[str]:
    env = clean_env(measured=measured)
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def pack_new(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(BIN / "ggen-mcp", "pack", "new", *args, cwd=cwd, measured=True)


def pack_new_in_process(directory: Path, name: str) -> Result:
    """The same click command, run in this process (the refusals need no new interpreter)."""
    return CliRunner().invoke(pack_group, ["new", name, "--directory", str(directory)])


def throwaway_venv(where: Path) -> Path:
    """A fresh virtual environment that sees the host (this project's environment) below its own packages."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env())
    python = venv / "bin" / "python"
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    ).stdout.strip()
    host = sysconfig.get_paths()["purelib"]
    (Path(own) / "_ggen_mcp_host.pth").write_text(f"import site; site.addsitedir({host!r})\n")
    return python


@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("packs")
    out = pack_new(where, "demo")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "created" in out.stdout and "demo_hello" in out.stdout
    return where / "ggen-mcp-demo"


def test_pack_new_writes_the_one_pack_layout(created: Path) -> None:
    files = sorted(p.relative_to(created).as_posix() for p in created.rglob("*") if p.is_file())
    assert files == EXPECTED_FILES
    pyproject = (created / "pyproject.toml").read_text()
    assert '[project.entry-points."ggen_mcp.plugins"]\ndemo = "ggen_mcp_demo.plugin"' in pyproject
    assert 'name = "ggen-mcp-demo"' in pyproject
    plugin = (created / "ggen_mcp_demo" / "plugin.py").read_text()
    assert 'SETTINGS_SECTION = ("demo", DemoSettings)' in plugin
    assert "{{" not in plugin and "{%" not in plugin


@pytest.mark.slow
def test_created_pack_installs_and_passes_its_own_tests(created: Path, tmp_path: Path) -> None:
    python = throwaway_venv(tmp_path)
    install = run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--no-deps",
        "--no-build-isolation",
        created,
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    plugins = run(python, "-m", "ggen_mcp_core.cli", "plugins", "--json", cwd=tmp_path)
    assert plugins.returncode == 0, plugins.stderr
    demo = next(record for record in json.loads(plugins.stdout) if record["name"] == "demo")
    assert demo["status"] == "loaded" and demo["distribution"] == "ggen-mcp-demo"
    tests = run(python, "-m", "pytest", "-v", "-p", "no:cacheprovider", cwd=created)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"\b12 passed\b", tests.stdout), tests.stdout
    for check in (r"TestDemoConformance::test_plugin_loads", r"test_demo_hello_over_an_mcp_session\[\S*legacy\S*\]"):
        assert re.search(check + r" PASSED", tests.stdout), check


@pytest.mark.slow
def test_created_pack_is_ruff_and_mypy_strict_clean(created: Path) -> None:
    for command in (
        (BIN / "ruff", "check", "."),
        (BIN / "ruff", "format", "--check", "."),
        (sys.executable, "-m", "mypy", "--strict"),
    ):
        out = run(*command, cwd=created)
        assert out.returncode == 0, f"{command}: {out.stdout}{out.stderr}"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Demo", "lower-case letters"),
        ("1demo", "starting with a letter"),
        ("my-pack", "single underscores"),
        ("a__b", "single underscores"),
        ("demo_", "single underscores"),
        ("x" * 33, "the limit is 32"),
        ("class", "Python keyword"),
        ("graph", "reserved for the first-party distribution ggen-graph"),
        ("project_x", "reserved for the first-party distribution ggen-template"),
        ("ai", "reserved for the first-party distribution ggen-ai"),
        ("hooks", "settings section of the installed pack 'hook'"),
        ("limits", "settings section of the host"),
        ("core", "settings section of the host"),
    ],
)
def test_bad_names_are_refused_before_anything_is_written(tmp_path: Path, name: str, reason: str) -> None:
    out = pack_new_in_process(tmp_path, name)
    assert out.exit_code == 2, out.output
    assert "Invalid value for NAME" in out.output and reason in " ".join(out.output.split()), out.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    mine = tmp_path / "ggen-mcp-demo"
    mine.mkdir()
    (mine / "pyproject.toml").write_text("mine\n")
    out = pack_new_in_process(tmp_path, "demo")
    assert out.exit_code == 1
    assert "already exists; nothing was written" in out.output
    assert [p.name for p in mine.iterdir()] == ["pyproject.toml"]
    assert (mine / "pyproject.toml").read_text() == "mine\n"


def test_a_link_in_the_way_is_not_followed(tmp_path: Path) -> None:
    """The write policy judges the real path: a link to a folder outside is refused, a dangling one too."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "ggen-mcp-demo").symlink_to(elsewhere)
    out = pack_new_in_process(tmp_path / "here", "demo")
    assert out.exit_code == 1 and "outside the workspace" in out.output, out.output
    (tmp_path / "here" / "ggen-mcp-demo").unlink()
    (tmp_path / "here" / "ggen-mcp-demo").symlink_to(tmp_path / "here" / "gone")
    dangling = pack_new_in_process(tmp_path / "here", "demo")
    assert dangling.exit_code == 1 and "already exists" in dangling.output, dangling.output
    assert list(elsewhere.iterdir()) == []
    assert not (tmp_path / "here" / "gone").exists()


def test_directory_option_and_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "packs").mkdir()
    out = pack_new(tmp_path, "weather_radar", "--directory", "packs")
    assert out.returncode == 0, out.stderr
    assert "{{" not in "".join(p.read_text() for p in (tmp_path / "packs").rglob("*") if p.is_file())
    tool = tmp_path / "packs" / "ggen-mcp-weather-radar" / "ggen_mcp_weather_radar" / "tools" / "weather_radar_hello.py"
    assert "ToolContext[WeatherRadarSettings]" in tool.read_text()
    missing = pack_new_in_process(tmp_path / "nowhere", "demo")
    assert missing.exit_code == 1 and "is not an existing folder" in missing.output
    assert not (tmp_path / "nowhere").exists()


def test_the_command_belongs_to_the_template_pack(tmp_path: Path) -> None:
    out = run(BIN / "ggen-mcp", "plugins", "--json", cwd=tmp_path)
    template = next(record for record in json.loads(out.stdout) if record["name"] == "template")
    assert "pack" in template["commands"]
