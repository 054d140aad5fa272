"""What the SPARQL guard costs per call: the prefilter (hot path), a remembered verdict, and rdflib's parse.

Run from the repository root: ``.venv/bin/python bench/sparql_guard.py`` (best of 5 runs each).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ggen_graph.sparql_guard import check_read_only_query, check_update
from ggen_graph.sparql_verdict import verdict

PLAIN = "PREFIX ex: <http://example.org/> SELECT ?s ?label WHERE { ?s a ex:Person ; ex:label ?label } LIMIT 10"
NEEDLE = "PREFIX ex: <http://example.org/> SELECT ?from ?label WHERE { ?from a ex:Person ; ex:label ?label } LIMIT 10"
QUERY_1K = (
    "PREFIX ex: <http://example.org/>\nSELECT ?from ?label WHERE {\n"
    + "".join(f"  OPTIONAL {{ ?from ex:p{i} ?v{i} }}\n" for i in range(30))
    + "}"
)
UPDATE_4K = (
    "PREFIX ex: <http://example.org/>\nINSERT DATA {\n"
    + "".join(f'ex:s{i} ex:label "downloaded item {i}" .\n' for i in range(100))
    + "}"
)


def best_of(run: Callable[[], None], loops: int, fresh: bool = False) -> float:
    """Seconds per call, best of 5 rounds of ``loops`` calls (``fresh``: the verdict cache emptied first)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(loops):
            if fresh:
                verdict.cache_clear()
            run()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def main() -> None:
    check_read_only_query(NEEDLE)
    rows = [
        ("prefilter clears the text (hot path)", len(PLAIN), best_of(lambda: check_read_only_query(PLAIN), 20000)),
        ("a needle, verdict remembered", len(NEEDLE), best_of(lambda: check_read_only_query(NEEDLE), 20000)),
        ("a needle, new text: rdflib parses", len(NEEDLE), best_of(lambda: check_read_only_query(NEEDLE), 5, True)),
        (
            "1 KB query, 30 OPTIONALs, new text",
            len(QUERY_1K),
            best_of(lambda: check_read_only_query(QUERY_1K), 3, True),
        ),
        ("4 KB INSERT DATA with 'load' in literals", len(UPDATE_4K), best_of(lambda: check_update(UPDATE_4K), 3, True)),
    ]
    for name, size, seconds in rows:
        shown = f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.1f} ms"
        print(f"{name:45} {size:6} bytes  {shown}")


if __name__ == "__main__":
    main()
