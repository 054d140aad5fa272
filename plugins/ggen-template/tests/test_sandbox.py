"""The sandbox: known escapes fail, no process environment, deadlines and size caps end renders cleanly."""

from __future__ import annotations

import os
import time

import pytest
from conftest import call_error, call_ok, write

pytestmark = pytest.mark.anyio

ESCAPES = {
    "class walk": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "mro": "{{ ''.__class__.__mro__ }}",
    "attr filter": "{{ ''|attr('__class__') }}",
    "attr filter on format": "{{ '{0.__class__.__base__}'|attr('format')(1) }}",
    "str.format": "{{ '{0.__class__.__base__}'.format(1) }}",
    "str.format_map": "{{ '{x.__class__}'.format_map({'x': 1}) }}",
    "format filter": "{{ '%s'|format(''.__class__) }}",
    "function globals": "{{ sparql.__globals__ }}",
    "cycler internals": "{{ cycler.__init__.__globals__ }}",
    "template self": "{{ self.__init__.__globals__ }}",
    "loop internals": "{% for x in [1] %}{{ loop.__class__ }}{% endfor %}",
    "list mutation": "{% set l = [1] %}{{ l.append(2) }}",
    "dict mutation": "{% set d = {} %}{{ d.update({'a': 1}) }}",
}


@pytest.mark.parametrize("body", list(ESCAPES.values()), ids=list(ESCAPES))
async def test_known_escapes_fail(template_host, ggen_client, module_workspace, body: str) -> None:
    name = f"evil{abs(hash(body))}"
    write(module_workspace, f"templates/{name}.tmpl", body)
    async with ggen_client(template_host, mode="legacy") as client:
        message = await call_error(client, "template_render", {"template": name})
    assert f"templates/{name}.tmpl line 1" in message
    assert "unsafe" in message or "sandbox" in message or "undefined" in message


async def test_no_process_environment_in_the_context(ggen_host, ggen_client, workspace, monkeypatch) -> None:
    monkeypatch.setenv("GGEN_SECRET_TOKEN", "hunter2")
    write(workspace, "templates/env.tmpl", "{{ GGEN_SECRET_TOKEN }}")
    write(workspace, "templates/env2.tmpl", "{{ environ }}{{ env }}{{ os }}")
    write(workspace, "templates/env3.tmpl", "{% for k in range(1) %}{{ self._TemplateReference__context }}{% endfor %}")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        assert "'GGEN_SECRET_TOKEN' is undefined" in await call_error(client, "template_render", {"template": "env"})
        assert "'environ' is undefined" in await call_error(client, "template_render", {"template": "env2"})
        assert "hunter2" not in await call_error(client, "template_render", {"template": "env3"})
    assert os.environ["GGEN_SECRET_TOKEN"] == "hunter2"


async def test_huge_range_fails_cleanly(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/loop.tmpl", "line\n{% for i in range(10**9) %}x{% endfor %}")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "loop"})
    assert "templates/loop.tmpl line 2" in message and "range()" in message
    assert not (workspace / "loop").exists()


async def test_silent_nested_loops_stop_at_the_deadline(ggen_host, ggen_client, workspace) -> None:
    write(
        workspace,
        "templates/spin.tmpl",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    )
    host = ggen_host(["template"], template={"render_timeout": 0.5})
    async with ggen_client(host, mode="legacy") as client:
        started = time.monotonic()
        message = await call_error(client, "template_render", {"template": "spin"})
        assert time.monotonic() - started < 5
        assert "exceeded 0.5 s" in message
        # the server still answers
        write(workspace, "templates/ok.tmpl", "fine")
        assert (await call_ok(client, "template_render", {"template": "ok"}))["files"][0]["content"] == "fine"


async def test_loop_iteration_budget(ggen_host, ggen_client, workspace) -> None:
    body = "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"
    write(workspace, "templates/many.tmpl", body)
    host = ggen_host(["template"], template={"max_loop_iterations": 10000})
    async with ggen_client(host, mode="legacy") as client:
        assert "10000 loop iterations" in await call_error(client, "template_render", {"template": "many"})


AMPLIFIERS = {
    "repeat": "{{ 'x' * 10**9 }}",
    "doubling concat": "{% set ns = namespace(s='xxxxxxxx') %}{% for i in range(40) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "doubling plus": "{% set ns = namespace(s='xxxxxxxx') %}{% for i in range(40) %}"
    "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
    "power": "{{ 2 ** 100000000 }}",
    "center": "{{ 'a'|center(10**10) }}",
    "ljust": "{{ 'a'.ljust(10**10) }}",
    "percent width": "{{ '%0999999999d' % 1 }}",
    "format width": "{{ '{:>9999999999}'.format(1) }}",
    "slice": "{{ [1]|slice(10**9)|list|length }}",
    "join": "{{ (['x' * 100000] * 100000)|join }}",
    "replace": "{{ ('a' * 100000)|replace('a', 'a' * 1000) }}",
    "indent": "{{ ('a\\n' * 100000)|indent(10000) }}",
    "output": "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
}


@pytest.mark.parametrize("body", list(AMPLIFIERS.values()), ids=list(AMPLIFIERS))
async def test_size_amplifiers_are_capped(template_host, ggen_client, module_workspace, body: str) -> None:
    name = f"big{abs(hash(body))}"
    write(module_workspace, f"templates/{name}.tmpl", body)
    async with ggen_client(template_host, mode="legacy") as client:
        started = time.monotonic()
        message = await call_error(client, "template_render", {"template": name})
    assert time.monotonic() - started < 5
    assert "limit" in message or "more than" in message, message


async def test_range_within_the_cap_still_works(ggen_host, ggen_client, workspace) -> None:
    body = "{{ range(5)|join(',') }} {% for i in range(3) %}{{ loop.index }}{% endfor %}"
    write(workspace, "templates/fine.tmpl", body)
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        out = await call_ok(client, "template_render", {"template": "fine"})
    assert out["files"][0]["content"] == "0,1,2,3,4 123"
