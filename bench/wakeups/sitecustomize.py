"""How long the server's writes to its graph workers' pipes take, and how often the writer is preempted there.

Put this folder first on a ggen-mcp server's PYTHONPATH (bench/load.py's `ggen-alt` server):

    .venv/bin/python bench/load.py --light-client --out /tmp/wake run --server ggen-alt \
        --alt-pythonpath bench/wakeups \
        --loop closed --sessions 10 --mode auto --workload query-varying
    cat /tmp/wakeups.*.txt       # or $WAKEUPS_OUT.<pid>.txt

In the `ggen-mcp` process it wraps `multiprocessing.connection.Connection._send` (the request written to a
store worker) and counts, per write: wall time, the writing thread's CPU time, and the thread's involuntary
context switches (`getrusage(RUSAGE_THREAD).ru_nivcsw`) during the write. A write costs microseconds of CPU;
wall time far above it with an involuntary switch means the kernel ran another thread on this core first: the
worker woken by the write preempting the event loop. The totals go to `$WAKEUPS_OUT.<pid>.txt` (default:
`wakeups` in the system's temporary folder) every 1000 writes and at exit. Not used by the server or the tests.
"""

from __future__ import annotations

import atexit
import os
import resource
import sys
import tempfile
import time
from typing import Any

if any("ggen-mcp" in arg for arg in sys.argv):
    from multiprocessing import connection

    _original = connection.Connection._send  # type: ignore[attr-defined]
    _totals = {"writes": 0, "wall_s": 0.0, "cpu_s": 0.0, "involuntary": 0, "voluntary": 0}

    def _dump() -> None:
        writes = max(_totals["writes"], 1)
        prefix = os.environ.get("WAKEUPS_OUT") or os.path.join(tempfile.gettempdir(), "wakeups")
        out = f"{prefix}.{os.getpid()}.txt"
        with open(out, "w") as handle:
            handle.write(
                f"writes={_totals['writes']} wall_ms_per_write={_totals['wall_s'] / writes * 1000:.4f} "
                f"cpu_ms_per_write={_totals['cpu_s'] / writes * 1000:.4f} "
                f"involuntary_switches={_totals['involuntary']} voluntary_switches={_totals['voluntary']}\n"
            )

    def _send(self: Any, buf: Any, write: Any = os.write) -> None:
        before = resource.getrusage(resource.RUSAGE_THREAD)
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            _original(self, buf, write)
        finally:
            after = resource.getrusage(resource.RUSAGE_THREAD)
            _totals["wall_s"] += time.perf_counter() - wall
            _totals["cpu_s"] += time.thread_time() - cpu
            _totals["involuntary"] += after.ru_nivcsw - before.ru_nivcsw
            _totals["voluntary"] += after.ru_nvcsw - before.ru_nvcsw
            _totals["writes"] += 1
            if _totals["writes"] % 1000 == 0:
                _dump()

    connection.Connection._send = _send  # type: ignore[attr-defined]
    atexit.register(_dump)
