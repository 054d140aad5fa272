"""Logging to stderr with structlog, and the Prometheus metrics the host keeps."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    from ggen_mcp_core.plugins import PluginRecord

    # Made on first use (module __getattr__): a stdio server answers `initialize` without importing
    # prometheus_client; the first call, heartbeat, scrape or pack metric makes them all (issue 16).
    REGISTRY: CollectorRegistry
    TOOL_CALLS: Counter
    TOOL_DURATION: Histogram
    TOOL_ALIAS_CALLS: Counter
    TOOL_IN_FLIGHT: Gauge
    ABANDONED_THREADS: Gauge
    LOOP_LAG: Histogram
    LOOP_BLOCKED: Counter
    RATE_LIMITED: Counter
    AUTH_FAILURES: Counter
    LIFECYCLE_EVENTS: Counter
    PLUGIN_STATUS: Gauge

METRICS = (
    "REGISTRY",
    "TOOL_CALLS",
    "TOOL_DURATION",
    "TOOL_ALIAS_CALLS",
    "TOOL_IN_FLIGHT",
    "ABANDONED_THREADS",
    "LOOP_LAG",
    "LOOP_BLOCKED",
    "RATE_LIMITED",
    "AUTH_FAILURES",
    "LIFECYCLE_EVENTS",
    "PLUGIN_STATUS",
)
_STATUSES = ("loaded", "disabled", "unavailable", "failed_import", "failed_register")
_MAKING = threading.Lock()
_pending_status: list[PluginRecord] = []  # plugin records published before the metrics were made


def __getattr__(name: str) -> Any:
    """The host's metrics (:data:`METRICS`), made together on the first use of any of them."""
    if name not in METRICS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _MAKING:
        if "REGISTRY" not in globals():
            globals().update(_made_metrics())
            _publish_status(_pending_status)
            _pending_status.clear()
    return globals()[name]


def _made_metrics() -> dict[str, Any]:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry(auto_describe=True)
    return {
        "REGISTRY": registry,
        "TOOL_CALLS": Counter(
            "ggen_mcp_tool_calls_total",
            "Tool calls by tool, plugin and outcome.",
            ["tool", "plugin", "outcome"],
            registry=registry,
        ),
        "TOOL_DURATION": Histogram(
            "ggen_mcp_tool_duration_seconds",
            "Tool call duration in seconds.",
            ["tool", "plugin"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        ),
        "TOOL_ALIAS_CALLS": Counter(
            "ggen_mcp_tool_alias_calls_total",
            "Tool calls made by an old name (a ToolSpec alias), by alias and the tool that answered.",
            ["alias", "tool"],
            registry=registry,
        ),
        "TOOL_IN_FLIGHT": Gauge("ggen_mcp_tool_calls_in_flight", "Tool calls running now.", registry=registry),
        "ABANDONED_THREADS": Gauge(
            "ggen_mcp_abandoned_worker_threads",
            "Worker threads still running blocking work (ctx.run_sync) of a call that already ended (timed out or "
            "cancelled): they hold no call slot, but their thread, memory and open files, until the work returns.",
            ["tool"],
            registry=registry,
        ),
        "LOOP_LAG": Histogram(
            "ggen_mcp_event_loop_lag_seconds",
            "How late the event loop ran a heartbeat callback: time the loop was held by code that did not yield.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        ),
        "LOOP_BLOCKED": Counter(
            "ggen_mcp_event_loop_blocked_total",
            "Times the event loop was held longer than loop_lag_warning, by the innermost tool call running on it.",
            ["tool"],
            registry=registry,
        ),
        "RATE_LIMITED": Counter(
            "ggen_mcp_rate_limited_total", "Calls refused by the rate limiter.", ["tool"], registry=registry
        ),
        "AUTH_FAILURES": Counter(
            "ggen_mcp_auth_failures_total",
            "HTTP requests refused for authentication (401) or scope (403).",
            ["reason"],
            registry=registry,
        ),
        "LIFECYCLE_EVENTS": Counter(
            "ggen_mcp_lifecycle_events_total",
            "Generation lifecycle events by name and outcome (pre_gen vs post_gen gives the generation success rate).",
            ["event", "outcome"],
            registry=registry,
        ),
        "PLUGIN_STATUS": Gauge(
            "ggen_mcp_plugin_status",
            "1 for the status each plugin is in, 0 otherwise.",
            ["plugin", "status"],
            registry=registry,
        ),
    }


def _registry() -> CollectorRegistry:
    registry: CollectorRegistry = __getattr__("REGISTRY")
    return registry


def counter(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
    """A counter on the server's registry for a pack's own metric (created once per process)."""
    from prometheus_client import Counter

    registry = _registry()
    existing = registry._names_to_collectors.get(name) or registry._names_to_collectors.get(f"{name}_total")
    if existing is not None:
        return existing  # type: ignore[return-value]
    return Counter(name, documentation, list(labels), registry=registry)


def gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Gauge:
    """A gauge on the server's registry for a pack's own metric (created once per process)."""
    from prometheus_client import Gauge

    registry = _registry()
    existing = registry._names_to_collectors.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return Gauge(name, documentation, list(labels), registry=registry)


def set_plugin_status(records: Iterable[PluginRecord]) -> None:
    """Publish each plugin's load status as a gauge (when the metrics are made, if they are not yet)."""
    with _MAKING:
        if "REGISTRY" not in globals():
            _pending_status[:] = list(records)
            return
    _publish_status(records)


def _publish_status(records: Iterable[PluginRecord]) -> None:
    gauge: Gauge = globals()["PLUGIN_STATUS"]
    for record in records:
        for status in _STATUSES:
            gauge.labels(plugin=record.name, status=status).set(1 if record.status == status else 0)


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the moment (test capture, daemon redirection)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_tracing(service_name: str = "ggen-mcp") -> bool:
    """Export spans over OTLP when the `otel` extra is installed and OTEL_EXPORTER_OTLP_ENDPOINT is set."""
    import os

    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # type: ignore[import-not-found,unused-ignore]
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        structlog.get_logger("ggen_mcp").warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but the otel extra is not installed: pip install 'ggen-mcp[otel]'"
        )
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True


def ensure_stderr_logging() -> None:
    """Unless the application configured structlog, send its output to stderr, never stdout."""
    if not structlog.is_configured():
        configure_logging("info", "console", stdlib=False)


def configure_logging(level: str = "info", fmt: str = "json", *, stdlib: bool = True) -> None:
    """Send structured logs (structlog and stdlib) to stderr; stdout belongs to the stdio transport."""
    numeric = getattr(logging, level.upper(), logging.INFO)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    if stdlib:
        _configure_stdlib(numeric, renderer, shared)


AUDIT_LOGGER = "ggen_mcp.audit"


class _StderrFormatter(structlog.stdlib.ProcessorFormatter):
    """The server log's formatter; an audit line (already one JSON object) is written as it is, not wrapped
    as the ``event`` string of another JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == AUDIT_LOGGER:
            return record.getMessage()
        return super().format(record)


def _configure_stdlib(
    numeric: int, renderer: structlog.typing.Processor, shared: list[structlog.typing.Processor]
) -> None:
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        _StderrFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    # the audit logger writes INFO whatever the level (its file keeps every line); on stderr it follows log_level
    handler.addFilter(lambda record: record.name != AUDIT_LOGGER or record.levelno >= numeric)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for noisy in ("mcp", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
