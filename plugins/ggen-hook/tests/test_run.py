"""hook_run through an MCP session: real processes, the environment they see, and the hostile cases."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import pytest
from conftest import PYTHON, marker_command, python_command, seen

from ggen_mcp_core.testing import environment, tool_text

pytestmark = pytest.mark.anyio
ABS_PYTHON = os.path.abspath(sys.executable)


async def register(client, **arguments):
    result = await client.call_tool("hook_register", arguments)
    assert not result.is_error, tool_text(result)
    return result.structured_content


async def run(client, name, **arguments):
    return await client.call_tool("hook_run", {"name": name, **arguments})


async def test_runs_a_real_script_in_the_workspace(hooks_host, ggen_client, ggen_workspace, marker_script) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await register(client, event="post_gen", command=marker_command("ran", "--flag", "two words"), name="mark")
        result = await run(client, "mark")
        assert not result.is_error, tool_text(result)
        output = result.structured_content
        assert output["status"] == "ok" and output["exit_code"] == 0 and output["duration_ms"] > 0
        assert output["argv"] == [sys.executable, "marker.py", "ran", "--flag", "two words"]
        assert output["executable"] == ABS_PYTHON
    recorded = seen(ggen_workspace, "ran")
    assert recorded["argv"] == ["--flag", "two words"]
    assert recorded["cwd"] == str(ggen_workspace.resolve())
    assert recorded["env"]["GGEN_EVENT"] == "post_gen" and recorded["env"]["GGEN_HOOK"] == "mark"
    assert recorded["env"]["GGEN_OUTPUT"] == str(ggen_workspace.resolve())
    assert recorded["files"] == []


async def test_environment_is_scrubbed(hooks_host, ggen_client, ggen_workspace, marker_script) -> None:
    with environment(GGEN_TEST_SECRET="s3cr3t", AWS_SECRET_ACCESS_KEY="x", GGEN_TEST_PASSED="yes"):
        async with ggen_client(hooks_host(pass_env=["GGEN_TEST_PASSED"]), mode="legacy") as client:
            await register(client, event="post_gen", command=marker_command("env"), name="env")
            assert not (await run(client, "env")).is_error
    env = seen(ggen_workspace, "env")["env"]
    assert "GGEN_TEST_SECRET" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["GGEN_TEST_PASSED"] == "yes"
    allowed = {
        "PATH",
        "HOME",
        "LANG",
        "GGEN_TEST_PASSED",
        "GGEN_EVENT",
        "GGEN_HOOK",
        "GGEN_TEMPLATE",
        "GGEN_OUTPUT",
        "GGEN_FILES",
    }
    assert set(env) <= allowed, set(env) - allowed


@pytest.mark.parametrize(
    "payload",
    [
        "; touch pwned-semicolon",
        "$(touch pwned-subst)",
        "`touch pwned-backtick`",
        "| touch pwned-pipe",
        "&& touch pwned-and",
        "> pwned-redirect",
        "*",
    ],
)
async def test_shell_metacharacters_are_plain_arguments(
    hooks_host, ggen_client, ggen_workspace, marker_script, payload
) -> None:
    command = f"{marker_command('inj')} {payload}"
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await register(client, event="post_gen", command=command, name="inj")
        result = await run(client, "inj")
        assert not result.is_error and result.structured_content["status"] == "ok", tool_text(result)
    assert seen(ggen_workspace, "inj")["argv"] == shlex.split(payload)
    assert not list(ggen_workspace.glob("pwned*"))


async def test_rm_rf_home_is_just_an_argument(hooks_host, ggen_client, ggen_workspace, tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "precious").write_text("keep me")
    with environment(HOME=str(home)):
        async with ggen_client(hooks_host(), mode="legacy") as client:
            await register(client, event="post_gen", command="echo done ; rm -rf ~", name="echo")
            result = await run(client, "echo")
    assert result.structured_content["stdout"] == "done ; rm -rf ~\n"
    assert (home / "precious").read_text() == "keep me"


async def test_refused_while_commands_are_disallowed(hooks_host, ggen_client, ggen_workspace, marker_script) -> None:
    async with ggen_client(hooks_host(allow=False), mode="legacy") as client:
        await register(client, event="post_gen", command=marker_command("never"), name="off")
        result = await run(client, "off")
        assert result.is_error
        assert "hooks.allow_commands" in tool_text(result)
        assert "GGEN_MCP_HOOKS__ALLOW_COMMANDS=true" in tool_text(result)
        dry = (await run(client, "off", dry_run=True)).structured_content
        assert dry["status"] == "refused" and "hooks.allow_commands" in dry["reason"]
    assert not (ggen_workspace / "never.json").exists()


async def test_allowlist_limits_what_runs(hooks_host, ggen_client, ggen_workspace, marker_script) -> None:
    host = hooks_host(allowed_commands="echo,*/bin/python*")
    async with ggen_client(host, mode="legacy") as client:
        await register(client, event="post_gen", command="echo hi", name="echo")
        await register(client, event="post_gen", command="true", name="true")
        await register(client, event="post_gen", command=marker_command("py"), name="py")
        assert (await run(client, "echo")).structured_content["stdout"] == "hi\n"
        refused = await run(client, "true")
        assert refused.is_error and "'true' is not in hooks.allowed_commands (echo, */bin/python*)" in tool_text(
            refused
        )
        assert not (await run(client, "py")).is_error
    assert (ggen_workspace / "py.json").exists()


async def test_path_allowlist_entry_does_not_match_a_lookalike(hooks_host, ggen_client, ggen_workspace) -> None:
    fake = ggen_workspace / "bin" / "echo"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\ntouch pwned\n")
    fake.chmod(0o755)
    async with ggen_client(hooks_host(allowed_commands=["echo"]), mode="legacy") as client:
        await register(client, event="post_gen", command="./bin/echo", name="fake")
        result = await run(client, "fake")
        assert result.is_error and "not in hooks.allowed_commands" in tool_text(result)
    assert not (ggen_workspace / "pwned").exists()


async def test_dry_run_shows_the_plan_and_runs_nothing(hooks_host, ggen_client, ggen_workspace, marker_script) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await register(client, event="pre_gen", command=marker_command("dry", "a b"), name="dry", timeout=7)
        output = (await run(client, "dry", dry_run=True)).structured_content
    assert output["status"] == "would_run" and output["dry_run"] is True
    assert output["argv"] == [sys.executable, "marker.py", "dry", "a b"]
    assert output["executable"] == ABS_PYTHON and output["timeout"] == 7
    assert not (ggen_workspace / "dry.json").exists()


async def test_failure_is_reported_and_check_makes_it_an_error(
    hooks_host, ggen_client, ggen_workspace, marker_script
) -> None:
    with environment(EXIT_WITH="3"):
        async with ggen_client(hooks_host(pass_env=["EXIT_WITH"]), mode="legacy") as client:
            await register(client, event="post_gen", command=marker_command("fail"), name="fail")
            result = await run(client, "fail")
            assert not result.is_error
            output = result.structured_content
            assert output["status"] == "failed" and output["exit_code"] == 3
            assert "marker failing on purpose with 3" in output["stderr"]
            checked = await run(client, "fail", check=True)
            assert checked.is_error
            assert "hook 'fail'" in tool_text(checked) and "exited with 3" in tool_text(checked)
            assert "marker failing on purpose" in tool_text(checked)


async def test_hanging_hook_is_killed_with_its_whole_group(hooks_host, ggen_client, ggen_workspace) -> None:
    # The hook ignores SIGTERM, starts a grandchild (sleep 60) that records its pid, then hangs.
    script = (
        "import signal, subprocess, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "p = subprocess.Popen(['sleep', '60']); open('child.pid', 'w').write(str(p.pid)); time.sleep(60)"
    )
    async with ggen_client(hooks_host(kill_grace=0.5), mode="legacy") as client:
        await register(client, event="post_gen", command=python_command(script), name="hang", timeout=1.5)
        started = time.monotonic()
        result = await run(client, "hang")
        elapsed = time.monotonic() - started
    output = result.structured_content
    assert output["status"] == "timed_out" and output["exit_code"] == -9, output
    assert elapsed < 10
    child = int((ggen_workspace / "child.pid").read_text())
    assert not _alive(child), "the grandchild outlived the timeout"


async def test_sleep_60_is_killed_at_its_timeout(hooks_host, ggen_client) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await register(client, event="post_gen", command="sleep 60", name="sleep", timeout=1)
        started = time.monotonic()
        output = (await run(client, "sleep")).structured_content
    assert output["status"] == "timed_out" and 0.9 < output["duration_ms"] / 1000 < 5
    assert time.monotonic() - started < 10


async def test_background_leftovers_are_killed_after_exit(hooks_host, ggen_client, ggen_workspace) -> None:
    script = "import subprocess; p = subprocess.Popen(['sleep', '60']); open('bg.pid', 'w').write(str(p.pid))"
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await register(client, event="post_gen", command=python_command(script), name="bg")
        output = (await run(client, "bg")).structured_content
    assert output["status"] == "ok"
    assert not _alive(int((ggen_workspace / "bg.pid").read_text()))


async def test_huge_output_is_capped_to_its_tail(hooks_host, ggen_client) -> None:
    script = "import sys; sys.stdout.write('a' * 20_000_000 + 'THE-END'); sys.stderr.write('e' * 3_000_000)"
    async with ggen_client(hooks_host(max_output_bytes=4096), mode="legacy") as client:
        await register(client, event="post_gen", command=python_command(script), name="loud")
        output = (await run(client, "loud")).structured_content
    assert output["status"] == "ok"
    assert len(output["stdout"]) == 4096 and output["stdout"].endswith("THE-END")
    assert output["stdout_truncated"] and output["stderr_truncated"] and len(output["stderr"]) == 4096


async def test_resource_limits_apply(hooks_host, ggen_client) -> None:
    script = (
        "import resource as r; print(r.getrlimit(r.RLIMIT_CORE)[0], r.getrlimit(r.RLIMIT_NOFILE)[1], "
        "r.getrlimit(r.RLIMIT_FSIZE)[1])"
    )
    async with ggen_client(hooks_host(limit_open_files=200, limit_file_size_mb=2), mode="legacy") as client:
        await register(client, event="post_gen", command=python_command(script), name="limits")
        output = (await run(client, "limits")).structured_content
    assert output["stdout"].split() == ["0", "200", str(2 * 1024 * 1024)]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("../outside.sh", "outside the workspace"),
        ("no-such-program-xyz --help", "was not found on PATH"),
        ("./missing.sh", "does not exist"),
        ("./not-executable.sh", "is not executable"),
        ("/definitely/not/here", "does not exist"),
        ("/tmp/" + "x" * 300 + "/tool", "cannot look at executable"),  # cannot stat: a clear refusal
    ],
)
async def test_bad_executables_are_refused(hooks_host, ggen_client, ggen_workspace, command, message) -> None:
    (ggen_workspace / "not-executable.sh").write_text("#!/bin/sh\n")
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await register(client, event="post_gen", command=command, name="bad")
        result = await run(client, "bad")
        assert result.is_error and message in tool_text(result), tool_text(result)


async def test_unknown_and_disabled_hooks(hooks_host, ggen_client) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await register(client, event="post_gen", command="true", name="off", enabled=False)
        result = await run(client, "off")
        assert result.is_error and "disabled" in tool_text(result)
        result = await run(client, "nope")
        assert result.is_error and "no hook named 'nope'; registered: off" in tool_text(result)


async def test_run_uses_no_shell_even_for_a_shell_looking_command(hooks_host, ggen_client, ggen_workspace) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await register(
            client,
            event="post_gen",
            command=f"{PYTHON} -c 'import sys; print(sys.argv[1:])' $HOME ~ *",
            name="literal",
        )
        output = (await run(client, "literal")).structured_content
    assert output["stdout"].strip() == "['$HOME', '~', '*']"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False  # reaped between the two looks: /proc/<pid> is gone
    return not stat.split(") ")[1].startswith("Z")


async def test_a_run_reports_its_start_and_end_as_progress(hooks_host, ggen_client, marker_script) -> None:
    seen_progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen_progress.append((progress, total, message))

    async with ggen_client(hooks_host(), mode="legacy") as client:
        await register(client, event="post_gen", command=marker_command("ran"), name="mark")
        result = await client.call_tool("hook_run", {"name": "mark"}, progress_callback=on_progress)
        assert not result.is_error, tool_text(result)
    assert [(p, t) for p, t, _ in seen_progress] == [(0, 1), (1, 1)]
    assert seen_progress[0][2] == f"running {sys.executable}" and seen_progress[1][2] == "exited with 0"
