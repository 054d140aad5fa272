"""What every graph worker process is started with: its network isolation mode and its memory limit.

The embedded store's worker takes them from its store's settings. The process-wide workers (template
graphs, SHACL validation) are shared by every caller, so they take the values the graph pack was loaded
with (:func:`configure`, called at registration), or the defaults when the pack is not loaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ggen_mcp_core.confinement import IsolationMode

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings

ISOLATION_SETTING = "graph.network_isolation"
MEMORY_SETTING = "graph.worker_memory_mb"


@dataclass(frozen=True)
class WorkerOptions:
    """A worker's confinement: ``network_isolation`` (``required`` or ``warn``) and ``memory_mb`` (0: none)."""

    network_isolation: IsolationMode = "required"
    memory_mb: int = 1024

    @classmethod
    def from_settings(cls, settings: GraphSettings) -> WorkerOptions:
        return cls(network_isolation=settings.network_isolation, memory_mb=settings.worker_memory_mb)


_lock = threading.Lock()
_default = WorkerOptions()


def default_options() -> WorkerOptions:
    """The options of the process-wide workers."""
    with _lock:
        return _default


def configure(settings: GraphSettings) -> None:
    """Use these settings for process-wide workers started from now on."""
    global _default
    with _lock:
        _default = WorkerOptions.from_settings(settings)


__all__ = ["ISOLATION_SETTING", "MEMORY_SETTING", "WorkerOptions", "configure", "default_options"]
