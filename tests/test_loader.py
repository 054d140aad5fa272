"""Loading with isolation: each broken plugin is reported, the healthy ones load and work."""

from __future__ import annotations

from pathlib import Path

import pytest

from ggen_mcp_core import Settings
from ggen_mcp_core.plugins import PluginHost, PluginLoadError

FIXTURES = "demo,brokenimport,nospec,raisingregister,raisingtool,badtool,unavailable"


def load(workspace: Path, **settings: object) -> PluginHost:
    settings.setdefault("load_plugins", FIXTURES)
    host = PluginHost(Settings.load(workspace=workspace, **settings))
    host.load()
    return host


def test_each_broken_plugin_is_reported_and_the_rest_load(fixture_site: Path, ggen_workspace: Path) -> None:
    host = load(ggen_workspace)
    status = {r.name: (r.status, r.phase) for r in host.records if not r.builtin and r.status != "disabled"}
    assert status == {
        "demo": ("loaded", "ready"),
        "raisingtool": ("loaded", "ready"),
        "brokenimport": ("failed_import", "import"),
        "unavailable": ("unavailable", "import"),
        "nospec": ("failed_register", "register"),
        "raisingregister": ("failed_register", "register"),
        "badtool": ("failed_register", "register"),
    }
    errors = {r.name: r.error or "" for r in host.records}
    assert "GraphStore" in errors["brokenimport"]
    assert "frobnicate" in errors["unavailable"]
    assert "ggen_register_tool has no hookspec" in errors["nospec"]
    assert "registry database is locked" in errors["raisingregister"]
    assert "does not start with a prefix the plugin owns" in errors["badtool"]
    assert "empty description" in errors["badtool"]
    assert set(host.tools) == {
        "demo_echo",
        "demo_write",
        "demo_slow",
        "demo_generate",
        "demo_notify",
        "raisingtool_explode",
    }


def test_failed_register_unloads_the_plugin_whole(fixture_site: Path, ggen_workspace: Path) -> None:
    host = load(ggen_workspace)
    names = {impl.plugin_name for impl in host.pm.hook.ggen_on_tool_call.get_hookimpls()}
    assert "raisingregister" not in names, "an unloaded plugin's observer must not run"
    assert "demo" in names
    assert host.pm.get_plugin("nospec") is None
    assert host.pm.get_plugin("badtool") is None


def test_record_carries_distribution_version_hooks_and_tools(fixture_site: Path, ggen_workspace: Path) -> None:
    host = load(ggen_workspace)
    demo = host.record("demo")
    assert demo is not None
    data = demo.to_dict()
    assert data["distribution"] == "ggen_fixture_demo"
    assert data["version"] == "0.1.0"
    assert "ggen_register_tools" in data["hooks"] and "ggen_authenticate" in data["hooks"]
    assert data["tools"][0] == "demo_echo"
    assert data["resources"] == ["demo://hello", "demo://items/{id}"]
    assert data["prompts"] == ["demo_explain"]
    assert "traceback" not in data
    assert "commands" not in data, "unknown until register_commands ran (`ggen-mcp plugins` runs it)"


def test_allowlist_and_disable(fixture_site: Path, ggen_workspace: Path) -> None:
    host = load(ggen_workspace, load_plugins="demo")
    loaded = {r.name for r in host.records if r.status == "loaded" and not r.builtin}
    assert loaded == {"demo"}
    assert host.record("raisingtool").status == "disabled"  # type: ignore[union-attr]
    host = load(ggen_workspace, load_plugins="ggen_fixture_demo,raisingtool", disable_plugins="raisingtool")
    assert {r.name for r in host.records if r.status == "loaded" and not r.builtin} == {"demo"}
    assert "GGEN_MCP_DISABLE_PLUGINS" in (host.record("raisingtool").error or "")  # type: ignore[union-attr]
    host = load(ggen_workspace, load_plugins="")
    assert not [r for r in host.records if r.status == "loaded" and not r.builtin]
    host = load(ggen_workspace, load_plugins=None, disable_plugins="*")
    assert not [r for r in host.records if r.status == "loaded" and not r.builtin]
    assert [r for r in host.records if r.builtin and r.status == "loaded"], "built-ins always load"


def test_strict_mode_and_required_plugins(fixture_site: Path, ggen_workspace: Path) -> None:
    with pytest.raises(PluginLoadError, match="brokenimport"):
        load(ggen_workspace, strict_plugins=True)
    load(ggen_workspace, load_plugins="demo", strict_plugins=True)
    with pytest.raises(PluginLoadError, match="required plugins not loaded: nospec"):
        load(ggen_workspace, required_plugins=["demo", "nospec"])
    load(ggen_workspace, required_plugins=["demo", "ggen_fixture_raisingtool"])


def test_duplicate_tool_names_across_plugins(fixture_site: Path, ggen_workspace: Path) -> None:
    """A second copy of the demo plugin (a distinct module object, so the host's own check decides)."""
    import importlib.util

    host = load(ggen_workspace, load_plugins="demo")
    spec = importlib.util.spec_from_file_location(
        "ggen_fixture_demo_copy", fixture_site / "ggen_fixture_demo/plugin.py"
    )
    assert spec is not None and spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    # One settings section has one owner (tests/test_pack_settings.py): the copy gets its own, the tools are
    # what is under test here.
    copy.SETTINGS_SECTION = ("demo_copy", copy.SETTINGS_SECTION[1])
    again = host.add_module(copy, name="demo-copy")
    assert again.status == "failed_register"
    error = again.error or ""
    assert error.startswith("PluginRegistrationError: tool 'demo_echo' of plugin 'demo-copy'"), error
    assert "is already registered by plugin 'demo' (distribution ggen_fixture_demo)" in error
    assert "prompt 'demo_explain' of plugin 'demo-copy'" in error
    assert "resource 'demo://hello' of plugin 'demo-copy'" in error


def test_read_only_and_toolsets_hide_tools(fixture_site: Path, ggen_workspace: Path) -> None:
    host = load(ggen_workspace, read_only=True)
    assert "demo_write" not in host.tools and "demo_generate" not in host.tools
    assert host.hidden_tools["demo_write"] == "read-only mode"
    assert "demo_echo" in host.tools
    host = load(ggen_workspace, toolsets=["raisingtool"])
    assert set(host.tools) == {"raisingtool_explode"}
    assert "toolset 'demo' not enabled" in host.hidden_tools["demo_echo"]


def test_failures_logged_one_line_each(
    fixture_site: Path, ggen_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ggen_mcp_core.observability import configure_logging

    configure_logging("info", "json")
    load(ggen_workspace)
    err = [line for line in capsys.readouterr().err.splitlines() if "plugin not loaded" in line]
    assert len(err) == 5
    assert any('"plugin": "brokenimport"' in line and "failed_import" in line for line in err)
