"""Settings: defaults < TOML file < environment < CLI flags; plugin sections; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from ggen_mcp_core import ConfigError, Settings
from ggen_mcp_core.config import reference_markdown

REPO = Path(__file__).resolve().parents[1]


class HooksSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allow_commands: bool = False
    timeout: float = 30.0


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("GGEN_MCP_"):
            monkeypatch.delenv(key)


def test_defaults() -> None:
    settings = Settings.load()
    assert settings.http.host == "127.0.0.1" and settings.http.port == 8000
    assert settings.tool_timeout == 60 and settings.read_only is False
    assert settings.section("hooks", HooksSettings) == HooksSettings()


def test_env_nests_with_double_underscore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GGEN_MCP_HOOKS__ALLOW_COMMANDS", "true")
    monkeypatch.setenv("GGEN_MCP_HTTP__PORT", "9001")
    monkeypatch.setenv("GGEN_MCP_TOOLSETS", "graph, template")
    monkeypatch.setenv("GGEN_MCP_REQUIRED_PLUGINS", '["graph"]')
    settings = Settings.load()
    assert settings.section("hooks", HooksSettings).allow_commands is True
    assert settings.http.port == 9001
    assert settings.toolsets == ["graph", "template"]
    assert settings.required_plugins == ["graph"]


def test_toml_file_then_env_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "ggen-mcp.toml"
    config.write_text(
        'tool_timeout = 5\nlog_level = "debug"\n[http]\nport = 7000\nstateless = true\n'
        "[hooks]\nallow_commands = true\ntimeout = 3\n"
    )
    settings = Settings.load(config)
    assert (settings.tool_timeout, settings.log_level, settings.http.port) == (5, "debug", 7000)
    assert settings.section("hooks", HooksSettings) == HooksSettings(allow_commands=True, timeout=3)
    monkeypatch.setenv("GGEN_MCP_HTTP__PORT", "7100")
    monkeypatch.setenv("GGEN_MCP_HOOKS__TIMEOUT", "4")
    settings = Settings.load(config)
    assert settings.http.port == 7100 and settings.http.stateless is True
    assert settings.section("hooks", HooksSettings).timeout == 4
    settings = Settings.load(config, http={"port": 7200}, tool_timeout=None)
    assert settings.http.port == 7200 and settings.http.stateless is True and settings.tool_timeout == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tool_timeout": -1}, "tool_timeout: Input should be greater than 0"),
        ({"http": {"port": 70000}}, "http.port: Input should be less than or equal to 65535"),
        ({"http": {"bogus": 1}}, "http.bogus: Extra inputs are not permitted"),
        ({"log_level": "loud"}, "log_level: Input should be"),
    ],
)
def test_invalid_settings_name_the_key(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        Settings.load(**kwargs)


def test_invalid_plugin_section_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GGEN_MCP_HOOKS__TIMEOUT", "never")
    expected = r"hooks\.timeout \(GGEN_MCP_HOOKS__TIMEOUT\): Input should be a valid number"
    with pytest.raises(ConfigError, match=expected):
        Settings.load().section("hooks", HooksSettings)
    monkeypatch.delenv("GGEN_MCP_HOOKS__TIMEOUT")
    monkeypatch.setenv("GGEN_MCP_HOOKS__TYPO", "1")
    with pytest.raises(ConfigError, match=r"hooks\.typo \(GGEN_MCP_HOOKS__TYPO\): Extra inputs are not permitted"):
        Settings.load().section("hooks", HooksSettings)


def test_configuration_doc_is_current() -> None:
    """docs/configuration.md holds the table `ggen-mcp config --markdown` prints for all packs."""
    import subprocess
    import sys

    generated = subprocess.run(
        [sys.executable, "-m", "ggen_mcp_core.cli", "config", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    doc = (REPO / "docs" / "configuration.md").read_text()
    assert generated in doc, "docs/configuration.md is stale: paste `ggen-mcp config --markdown` into it"
    assert reference_markdown() in generated
