"""The ggen_lifecycle listener, driven by emitting events through the host as the template pack does."""

from __future__ import annotations

import pytest
from conftest import marker_command, python_command, seen

from ggen_mcp_core import LifecycleEvent, Principal, ToolError
from ggen_mcp_core.calls import make_context
from ggen_mcp_core.testing import environment, tool_text

pytestmark = pytest.mark.anyio


async def register_all(host, ggen_client, *hooks):
    async with ggen_client(host, mode="legacy") as client:
        for arguments in hooks:
            result = await client.call_tool("hook_register", arguments)
            assert not result.is_error, tool_text(result)


async def emit(host, name, **fields):
    await host.emit_lifecycle(LifecycleEvent(name=name, **fields), make_context(host, Principal.local()))


async def test_post_gen_runs_matching_hooks_with_the_event_context(
    hooks_host, ggen_client, ggen_workspace, marker_script
) -> None:
    host = hooks_host()
    await register_all(
        host,
        ggen_client,
        {"event": "post_gen", "command": marker_command("first"), "name": "first"},
        {"event": "post_gen", "command": marker_command("api"), "name": "api", "match": "templates/api/*"},
        {"event": "post_gen", "command": marker_command("web"), "name": "web", "match": "templates/web/*"},
        {"event": "pre_gen", "command": marker_command("pre"), "name": "pre"},
        {"event": "post_gen", "command": marker_command("off"), "name": "off", "enabled": False},
    )
    (ggen_workspace / "out").mkdir()
    files = ("out/a.py", "out/b.py")
    await emit(host, "post_gen", template="templates/api/models.tmpl", files=files, data={"output": "out"})
    recorded = seen(ggen_workspace, "first")
    assert recorded["env"]["GGEN_EVENT"] == "post_gen"
    assert recorded["env"]["GGEN_TEMPLATE"] == "templates/api/models.tmpl"
    assert recorded["env"]["GGEN_OUTPUT"] == str((ggen_workspace / "out").resolve())
    assert recorded["files"] == list(files)
    assert (ggen_workspace / "api.json").exists()
    for skipped in ("web", "pre", "off"):
        assert not (ggen_workspace / f"{skipped}.json").exists(), skipped


async def test_hooks_run_in_registration_order(hooks_host, ggen_client, ggen_workspace) -> None:
    host = hooks_host()
    hooks = [
        {
            "event": "pre_apply",
            "command": python_command(f"open('order.txt', 'a').write('{n}')"),
            "name": f"h{n}",
        }
        for n in (3, 1, 2)
    ]
    await register_all(host, ggen_client, *hooks)
    await emit(host, "pre_apply", template="t")
    assert (ggen_workspace / "order.txt").read_text() == "312"


async def test_failing_pre_gen_aborts_naming_hook_code_and_stderr(
    hooks_host, ggen_client, ggen_workspace, marker_script
) -> None:
    host = hooks_host(pass_env=["EXIT_WITH"])
    await register_all(
        host,
        ggen_client,
        {"event": "pre_gen", "command": marker_command("guard"), "name": "guard"},
        {"event": "pre_gen", "command": marker_command("after"), "name": "after"},
    )
    with environment(EXIT_WITH="4"), pytest.raises(ToolError) as raised:
        await emit(host, "pre_gen", template="t.tmpl")
    message = str(raised.value)
    assert "pre_gen hook of plugin 'hook' aborted" in message
    assert "hook 'guard'" in message and "exited with 4" in message
    assert "marker failing on purpose with 4" in message
    assert not (ggen_workspace / "after.json").exists(), "hooks after a failed pre hook must not run"


async def test_failing_post_gen_is_a_warning(hooks_host, ggen_client, ggen_workspace) -> None:
    host = hooks_host()
    failing = python_command("import sys; sys.stderr.write('lint failed\\n'); sys.exit(2)")
    await register_all(
        host,
        ggen_client,
        {"event": "post_gen", "command": failing, "name": "lint"},
        {"event": "post_gen", "command": python_command("open('next.txt', 'w')"), "name": "next"},
    )
    warnings: list[str] = []
    await emit(host, "post_gen", template="t", data={"warnings": warnings})
    assert len(warnings) == 1
    assert "post_gen: hook 'lint'" in warnings[0] and "exited with 2" in warnings[0] and "lint failed" in warnings[0]
    assert (ggen_workspace / "next.txt").exists(), "a failing post hook does not stop the next one"


async def test_commands_disallowed_abort_pre_and_warn_post(hooks_host, ggen_client, ggen_workspace) -> None:
    host = hooks_host(allow=False)
    await register_all(
        host,
        ggen_client,
        {"event": "pre_gen", "command": python_command("open('pre.txt', 'w')"), "name": "pre"},
        {"event": "post_gen", "command": python_command("open('post.txt', 'w')"), "name": "post"},
    )
    with pytest.raises(ToolError) as raised:
        await emit(host, "pre_gen", template="t")
    assert "hook 'pre' could not run" in str(raised.value)
    assert "GGEN_MCP_HOOKS__ALLOW_COMMANDS" in str(raised.value)
    warnings: list[str] = []
    await emit(host, "post_gen", template="t", data={"warnings": warnings})
    assert "hooks.allow_commands" in warnings[0]
    assert not (ggen_workspace / "pre.txt").exists() and not (ggen_workspace / "post.txt").exists()


async def test_timed_out_pre_hook_aborts(hooks_host, ggen_client) -> None:
    host = hooks_host()
    await register_all(host, ggen_client, {"event": "pre_gen", "command": "sleep 60", "name": "slow", "timeout": 0.5})
    with pytest.raises(ToolError) as raised:
        await emit(host, "pre_gen")
    assert "hook 'slow' (sleep 60) timed out and was killed" in str(raised.value)


async def test_tampered_file_aborts_pre_and_warns_post(hooks_host, ggen_workspace) -> None:
    host = hooks_host()
    (ggen_workspace / ".ggen").mkdir()
    (ggen_workspace / ".ggen/hooks.toml").write_text("[[hooks]]\nname = 'x'\nevent = 'pre_gen'\ncommand = 'true'\n")
    with pytest.raises(ToolError) as raised:
        await emit(host, "pre_gen")
    assert ".ggen/hooks.toml is invalid" in str(raised.value) and "hook_id" in str(raised.value)
    warnings: list[str] = []
    await emit(host, "post_gen", data={"warnings": warnings})
    assert ".ggen/hooks.toml is invalid" in warnings[0]


async def test_no_hooks_file_is_a_no_op(hooks_host, ggen_workspace) -> None:
    host = hooks_host()
    for name in ("pre_gen", "post_gen", "pre_apply", "post_apply"):
        await emit(host, name, template="t")
    assert not (ggen_workspace / ".ggen").exists()


async def test_output_outside_the_workspace_falls_back_to_the_root(
    hooks_host, ggen_client, ggen_workspace, marker_script
) -> None:
    host = hooks_host()
    await register_all(host, ggen_client, {"event": "post_apply", "command": marker_command("o"), "name": "o"})
    await emit(host, "post_apply", data={"output": "../../etc"})
    assert seen(ggen_workspace, "o")["env"]["GGEN_OUTPUT"] == str(ggen_workspace.resolve())


async def test_post_failures_without_a_warnings_list_are_raised_after_all_ran(
    hooks_host, ggen_client, ggen_workspace
) -> None:
    host = hooks_host()
    await register_all(
        host,
        ggen_client,
        {"event": "post_apply", "command": python_command("raise SystemExit(5)"), "name": "a"},
        {"event": "post_apply", "command": python_command("open('b.txt', 'w')"), "name": "b"},
        {"event": "post_apply", "command": python_command("raise SystemExit(6)"), "name": "c"},
    )
    with pytest.raises(ToolError) as raised:
        await emit(host, "post_apply", template="t")
    message = str(raised.value)
    assert "hook 'a'" in message and "exited with 5" in message and "hook 'c'" in message and "exited with 6" in message
    assert (ggen_workspace / "b.txt").exists()


async def test_cancelled_generation_kills_the_running_hook(hooks_host, ggen_client, ggen_workspace) -> None:
    import anyio

    script = "import os, time; open('hook.pid', 'w').write(str(os.getpid())); time.sleep(60)"
    host = hooks_host()
    await register_all(host, ggen_client, {"event": "pre_gen", "command": python_command(script), "name": "slow"})
    with anyio.move_on_after(1.0) as scope:
        await emit(host, "pre_gen")
    assert scope.cancelled_caught
    pid = int((ggen_workspace / "hook.pid").read_text())
    for _ in range(100):
        if not _alive(pid):
            break
        await anyio.sleep(0.02)
    assert not _alive(pid), "the hook survived the cancellation of its generation"


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False  # reaped between the two looks: /proc/<pid> is gone
    return not stat.split(") ")[1].startswith("Z")
