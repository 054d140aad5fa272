"""What the ``ggen-mcp`` command imports first, so that a server starts without what it never uses.

structlog imports rich (about 0.2 s, a fifth of the host's start-up) at its own import, only for pretty
tracebacks in its dev console renderer. The server never renders with rich: its logs go to stderr as JSON or
plain text, with tracebacks formatted by ``structlog.processors.format_exc_info``. So the command imports
structlog first, with rich hidden while it does; rich stays importable for anything that asks later (only
structlog's own rich traceback formatter is off in this process). Nothing happens when structlog or rich
is imported already (a test process, an application embedding the host).
"""

from __future__ import annotations

import sys


def import_structlog_without_rich() -> None:
    """Import structlog with ``rich`` hidden (``sys.modules["rich"] = None`` makes its import fail)."""
    if "structlog" in sys.modules or "rich" in sys.modules:
        return
    sys.modules["rich"] = None  # type: ignore[assignment]
    try:
        import structlog  # noqa: F401
    finally:
        if sys.modules.get("rich", 0) is None:
            del sys.modules["rich"]


import_structlog_without_rich()
