"""A real template-pack registry served over HTTP on 127.0.0.1, for host tests that drive the market pack."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def write_pack(root: Path, pack_id: str, version: str = "1.0.0", *, category: str = "testing") -> Path:
    """A pack source ``root/<id>-<version>`` with one template, ``templates/hello.tmpl``."""
    directory = root / f"{pack_id}-{version}"
    (directory / "templates").mkdir(parents=True)
    (directory / "gpack.toml").write_text(
        f'[gpack]\nid = "{pack_id}"\nname = "{pack_id.rsplit(".", 1)[-1].title()} pack"\nversion = "{version}"\n'
        f'description = "A test pack greeting from {pack_id}"\nlicense = "MIT"\ncategory = "{category}"\n'
        'tags = ["demo"]\nupdated = "2026-10-01T00:00:00Z"\n[dependencies]\n',
        encoding="utf-8",
    )
    (directory / "templates" / "hello.tmpl").write_text(f"---\nto: hello.txt\n---\nhello from {pack_id}\n")
    return directory


@contextlib.contextmanager
def served_registry(root: Path, packs: list[tuple[str, str, str]]) -> Iterator[str]:
    """Build a registry of ``(id, version, category)`` packs under ``root`` and serve it; yields its URL."""
    from ggen_market.builder import build_registry

    src, out = root / "registry-src", root / "registry"
    src.mkdir(parents=True)
    for pack_id, version, category in packs:
        write_pack(src, pack_id, version, category=category)
    build_registry(src, out, updated="2026-10-01T00:00:00Z")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
