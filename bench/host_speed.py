"""How fast this machine runs a fixed pure-Python loop right now: CPU seconds of one process.

    .venv/bin/python bench/host_speed.py

30 million multiply-adds and 2 million dict stores on module-level names, always the same work (kept at module
level on purpose: the figures in docs/performance.md were taken with exactly this code). On a shared virtual
machine the same loop takes from about 3.0 to 4.8 s of CPU within an hour with nothing else running in the VM
(the host's other tenants): run it just before and after a measurement to say which phase the measurement ran
in (docs/performance.md, "Test suite, fourth pass").
"""

import time

t = time.process_time()
w = time.monotonic()
x = 0
for i in range(30_000_000):
    x += i * i
d = {}
for i in range(2_000_000):
    d[i % 50000] = str(i)
print(f"cpu {time.process_time() - t:.2f} wall {time.monotonic() - w:.2f}")
