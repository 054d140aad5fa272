"""A long random search for texts pyoxigraph sends to the network and the SPARQL guard lets through.

The CI test (``plugins/ggen-graph/tests/test_sparql_guard_fuzz.py``) runs a few thousand of these; this runs
as many as fit in the given seconds: string literals of every quote kind, comments ended by LF or CR,
escapes, codepoint escapes of syntax characters and PN_LOCAL escapes around a ``SERVICE`` (queries) or a
``LOAD``/``SERVICE`` (updates) that points at a listener on 127.0.0.1. pyoxigraph runs each text directly
(this process needs network to 127.0.0.1); a text that made it connect and that the guard accepts is a hole.

    .venv/bin/python bench/sparql_guard_search.py --kind query --seconds 400 --seed 7
"""

from __future__ import annotations

import argparse
import random
import socket
import threading
import time

import pyoxigraph as ox
from ggen_graph.errors import QueryRefused
from ggen_graph.sparql_guard import check_read_only_query, check_update

SOUP = ["'''", '"""', "'", '"', "''", '""', "\\'", '\\"', "\\\\", "a", " ", "\n", "\r", "# ", "\\u005C", "\\u0022"]
SOUP += ["\\u0027", "\\u000A", "\\u003E", "\\t", "ex:a\\'", "<a:b#'>", '<a:b"', "?x"]
QUOTES = ["'", '"', "'''", '"""']
QUERY_FRAMES = [
    "VALUES ?x {{ {b} }} SERVICE <{u}> {{ }} VALUES ?y {{ {a} }}",
    "BIND({b} AS ?x) SERVICE <{u}> {{ }} BIND({a} AS ?y)",
    "?s ?p {b} . SERVICE <{u}> {{ }} ?s ?p {a} .",
]
UPDATE_FRAMES = [
    "INSERT DATA {{ <a:s> <a:p> {b} }} ; LOAD <{u}> ; INSERT DATA {{ <a:s> <a:p> {a} }}",
    "INSERT {{ <a:s> <a:p> ?x }} WHERE {{ VALUES ?x {{ {b} }} SERVICE <{u}> {{ }} VALUES ?y {{ {a} }} }}",
]


class Listener:
    """Accepts, counts and closes connections on 127.0.0.1."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"
        self.count = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()


def item(rng: random.Random) -> str:
    content = "".join(rng.choice(SOUP) for _ in range(rng.randint(0, 4)))
    shape = rng.randint(0, 2)
    if shape == 0:
        quote = rng.choice(QUOTES)
        return quote + content + quote
    if shape == 1:
        return "#" + content + rng.choice(["\n", "\r"])
    return content


def contacts(listener: Listener, text: str, kind: str) -> bool:
    before = listener.count
    try:
        if kind == "query":
            result = ox.Store().query(text)
            if not isinstance(result, ox.QueryBoolean):
                list(result)
        else:
            ox.Store().update(text)
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    return listener.count > before


def refused(text: str, kind: str) -> bool:
    try:
        check_read_only_query(text) if kind == "query" else check_update(text)
    except QueryRefused:
        return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=["query", "update"], default="query")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    listener = Listener()
    frames = QUERY_FRAMES if args.kind == "query" else UPDATE_FRAMES
    samples = contacted = holes = 0
    stop = time.monotonic() + args.seconds
    while time.monotonic() < stop:
        samples += 1
        before = " ".join(item(rng) for _ in range(rng.randint(1, 4)))
        after = " ".join(item(rng) for _ in range(rng.randint(1, 4)))
        body = rng.choice(frames).format(b=before, a=after, u=listener.url)
        text = f"SELECT * WHERE {{ BIND(1 AS ?one) {body} }}" if args.kind == "query" else body
        if not contacts(listener, text, args.kind):
            continue
        contacted += 1
        if not refused(text, args.kind):
            holes += 1
            print(f"HOLE: {text!r}", flush=True)
    print(f"{args.kind}: {samples} texts, {contacted} made pyoxigraph connect, {holes} let through by the guard")


if __name__ == "__main__":
    main()
