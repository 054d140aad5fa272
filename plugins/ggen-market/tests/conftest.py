"""Fixtures for the market tests: pack sources on disk and real registries served over HTTP on 127.0.0.1.

:class:`RegistryServer` is a threaded HTTP server on a free port that serves a registry directory and can
misbehave per path on purpose (errors, hangs, truncated bodies, redirects, lies about sizes), honours
``If-None-Match``, and counts requests.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ggen_market.breaker import _BREAKERS
from ggen_market.builder import build_registry

from ggen_mcp_core.testing import cache_dir_beside


@dataclass
class Behaviour:
    """How the server answers one path."""

    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to stall before answering
    truncate_to: int | None = None  # send only this many bytes of the body (Content-Length stays full)
    trickle: float = 0.0  # seconds between 1 KiB chunks
    location: str | None = None
    no_length: bool = False  # no Content-Length: the body ends when the connection closes


class RegistryServer:
    """A registry on 127.0.0.1 serving ``root`` with per-path :class:`Behaviour` overrides."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.behaviours: dict[str, Behaviour] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                server.answer(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        behaviour = self.behaviours.get(handler.path, Behaviour())
        if behaviour.hang:
            self.release.wait(behaviour.hang)
        body = behaviour.body
        if body is None and behaviour.status == 200:
            target = self.root / handler.path.lstrip("/")
            if not target.is_file():
                behaviour = Behaviour(status=404)
            else:
                body = target.read_bytes()
        headers = dict(behaviour.headers)
        if body is not None and behaviour.status == 200:
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            headers.setdefault("ETag", etag)
            if handler.headers.get("If-None-Match") == headers["ETag"]:
                handler.send_response(304)
                handler.send_header("ETag", headers["ETag"])
                handler.end_headers()
                return
        handler.send_response(behaviour.status)
        if behaviour.location:
            handler.send_header("Location", behaviour.location)
        payload = body or b""
        if not behaviour.no_length:
            headers.setdefault("Content-Length", str(len(payload)))
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if behaviour.truncate_to is not None:
            payload = payload[: behaviour.truncate_to]
        self._write(handler, payload, behaviour.trickle)

    def _write(self, handler: http.server.BaseHTTPRequestHandler, payload: bytes, trickle: float) -> None:
        try:
            if not trickle:
                handler.wfile.write(payload)
                return
            for start in range(0, len(payload), 1024):
                handler.wfile.write(payload[start : start + 1024])
                handler.wfile.flush()
                if self.release.wait(trickle):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def write_pack(
    root: Path,
    pack_id: str,
    version: str = "1.0.0",
    *,
    dependencies: dict[str, str] | None = None,
    templates: dict[str, str] | None = None,
    category: str = "testing",
    tags: tuple[str, ...] = ("demo",),
    description: str | None = None,
) -> Path:
    """Write a pack source directory ``root/<id>-<version>`` and return it."""
    directory = root / f"{pack_id}-{version}"
    (directory / "templates").mkdir(parents=True)
    deps = "".join(f'"{k}" = "{v}"\n' for k, v in (dependencies or {}).items())
    (directory / "gpack.toml").write_text(
        "[gpack]\n"
        f'id = "{pack_id}"\nname = "{pack_id.split(".")[-1].title()} pack"\nversion = "{version}"\n'
        f'description = "{description or "A test pack that renders a greeting for " + pack_id}"\n'
        f'license = "MIT"\ncategory = "{category}"\ntags = {json.dumps(list(tags))}\n'
        'updated = "2026-10-01T00:00:00Z"\n'
        f"[dependencies]\n{deps}",
        encoding="utf-8",
    )
    default = {"hello.tmpl": f"---\nto: hello.txt\n---\nhello from {pack_id} {version}\n"}
    for name, content in (templates or default).items():
        path = directory / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return directory


@dataclass
class Registry:
    """A built registry directory, optionally served over HTTP."""

    src: Path
    out: Path
    server: RegistryServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + "/"

    def index(self) -> dict[str, Any]:
        return json.loads((self.out / "index.json").read_text())

    def save_index(self, data: dict[str, Any]) -> None:
        (self.out / "index.json").write_text(json.dumps(data))

    def rebuild(self) -> None:
        build_registry(self.src, self.out, updated="2026-10-01T00:00:00Z")


@pytest.fixture(autouse=True)
def _fresh_breakers() -> Iterator[None]:
    """Each test starts with closed circuit breakers (they are process-wide)."""
    _BREAKERS.clear()
    yield
    _BREAKERS.clear()


@pytest.fixture
def make_registry(tmp_path: Path) -> Iterator[Callable[..., Registry]]:
    """Factory: ``make_registry(packs=[(id, version, deps), ...], serve=True)`` -> a built :class:`Registry`."""
    servers: list[RegistryServer] = []
    counter = iter(range(1000))

    def factory(packs: list[tuple[Any, ...]] | None = None, *, serve: bool = True) -> Registry:
        number = next(counter)
        src, out = tmp_path / f"src{number}", tmp_path / f"registry{number}"
        src.mkdir()
        for spec in packs or [("io.example.hello", "1.0.0")]:
            deps = spec[2] if len(spec) > 2 else {}
            extra = spec[3] if len(spec) > 3 else {}
            write_pack(src, spec[0], spec[1], dependencies=deps, **extra)
        build_registry(src, out, updated="2026-10-01T00:00:00Z")
        server = RegistryServer(out) if serve else None
        if server is not None:
            servers.append(server)
        return Registry(src, out, server)

    yield factory
    for server in servers:
        server.close()


@pytest.fixture
def fast_settings() -> dict[str, Any]:
    """Market settings that keep hostile-server tests quick (short timeouts, no backoff)."""
    return {"read_timeout": 0.5, "connect_timeout": 1.0, "download_timeout": 5.0, "backoff": 0.0, "retries": 2}


def market_cache(workspace: Path) -> Path:
    """The market's folder in the cache directory a test host gets (``make_host``'s ``cache_dir``)."""
    return cache_dir_beside(workspace) / "market"


def snapshot(workspace: Path) -> dict[str, str]:
    """Every file outside .ggen/tmp with its sha256 (what must not change on failure)."""
    found = {}
    for path in sorted(workspace.rglob("*")):
        relative = path.relative_to(workspace).as_posix()
        if relative.startswith(".ggen/tmp") or relative == ".ggen/market.lock" or path.is_dir():
            continue
        found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
