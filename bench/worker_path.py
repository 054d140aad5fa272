"""The store worker's work per uncached `graph_query` call, in one process: what the worker does with a request
(decode it, `StoreOps.query`: bindings, the query, the rows in their final form; encode the answer) and what
the server does with the answer (decode it), without the processes and the pipe between them.

    .venv/bin/python bench/worker_path.py [--calls 2000] [--rounds 5] [--triples 100000]
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \
        .venv/bin/python bench/worker_path.py --calls 500 --rounds 1 --callgrind   # instructions, not time

The load benchmark's data (bench/common.py, generated) is loaded into an in-memory store; each call runs the
load benchmark's query with a new binding pair (970 pairs), as `bench/worker_ipc.py` sends it. It prints this
process's CPU per call (`time.process_time`). A/B of a change: put the other tree's `plugins/ggen-graph`
first on PYTHONPATH; under callgrind only the timed rounds are instrumented.
"""

from __future__ import annotations

import argparse
import pickle  # nosec B403 -- our own frames, as the worker and its client exchange them
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).parent))
import common
from call_path import instrument
from ggen_graph.store_ops import StoreOps

try:  # the frames of this tree (ggen_graph/worker_frames.py)
    from ggen_graph.worker_frames import decode, encode
except ImportError:  # an older tree: Connection.send's ForkingPickler, Connection.recv's pickle.loads
    from multiprocessing.reduction import ForkingPickler

    def encode(message: tuple[Any, ...]) -> bytes:
        return bytes(ForkingPickler.dumps(message))

    def decode(frame: bytes) -> Any:
        return pickle.loads(frame)  # noqa: S301  # nosec B301 -- the frame made here


def one(ops: StoreOps, n: int) -> Any:
    request = encode(
        (
            n,
            "query",
            {
                "sparql": common.QUERY,
                "limit": 1000,
                "timeout": 10.0,
                "graph": None,
                "bindings": common.query_bindings(n, varying=True),
                "prefixes": {"ex": common.EX},
                "typed": False,
            },
        )
    )
    request_id, op, kwargs = pickle.loads(request)  # noqa: S301  # nosec B301 -- the frame made above
    return decode(encode((request_id, True, getattr(ops, op)(**kwargs))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--triples", type=int, default=common.TRIPLES)
    parser.add_argument("--callgrind", action="store_true", help="instrument only the timed rounds (callgrind)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data.nt"
        common.generate_ntriples(data, args.triples)
        store = ox.Store()
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
    ops = StoreOps(store)
    for n in range(200):  # warm-up
        one(ops, n)
    per_call = []
    instrument(args.callgrind, "on")
    for round_ in range(args.rounds):
        start = time.process_time()
        for n in range(args.calls):
            one(ops, (round_ + 1) * args.calls + n)
        per_call.append(1000 * (time.process_time() - start) / args.calls)
    instrument(args.callgrind, "off")
    rounds = ", ".join(f"{v:.3f}" for v in per_call)
    print(f"worker path CPU per call: median {statistics.median(per_call):.3f} ms (rounds: {rounds})")


if __name__ == "__main__":
    main()
