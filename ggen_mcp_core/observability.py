"""Logging to stderr with structlog, and the Prometheus metrics the host keeps."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from ggen_mcp_core.plugins import PluginRecord

REGISTRY = CollectorRegistry(auto_describe=True)
TOOL_CALLS = Counter(
    "ggen_mcp_tool_calls_total",
    "Tool calls by tool, plugin and outcome.",
    ["tool", "plugin", "outcome"],
    registry=REGISTRY,
)
TOOL_DURATION = Histogram(
    "ggen_mcp_tool_duration_seconds",
    "Tool call duration in seconds.",
    ["tool", "plugin"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
TOOL_ALIAS_CALLS = Counter(
    "ggen_mcp_tool_alias_calls_total",
    "Tool calls made by an old name (a ToolSpec alias), by alias and the tool that answered.",
    ["alias", "tool"],
    registry=REGISTRY,
)
TOOL_IN_FLIGHT = Gauge("ggen_mcp_tool_calls_in_flight", "Tool calls running now.", registry=REGISTRY)
ABANDONED_THREADS = Gauge(
    "ggen_mcp_abandoned_worker_threads",
    "Worker threads still running blocking work (ctx.run_sync) of a call that already ended (timed out or "
    "cancelled): they hold no call slot, but their thread, memory and open files, until the work returns.",
    ["tool"],
    registry=REGISTRY,
)
LOOP_LAG = Histogram(
    "ggen_mcp_event_loop_lag_seconds",
    "How late the event loop ran a heartbeat callback: time the loop was held by code that did not yield.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
LOOP_BLOCKED = Counter(
    "ggen_mcp_event_loop_blocked_total",
    "Times the event loop was held longer than loop_lag_warning, by the innermost tool call running on it.",
    ["tool"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter("ggen_mcp_rate_limited_total", "Calls refused by the rate limiter.", ["tool"], registry=REGISTRY)
AUTH_FAILURES = Counter(
    "ggen_mcp_auth_failures_total",
    "HTTP requests refused for authentication (401) or scope (403).",
    ["reason"],
    registry=REGISTRY,
)
LIFECYCLE_EVENTS = Counter(
    "ggen_mcp_lifecycle_events_total",
    "Generation lifecycle events by name and outcome (pre_gen vs post_gen gives the generation success rate).",
    ["event", "outcome"],
    registry=REGISTRY,
)
PLUGIN_STATUS = Gauge(
    "ggen_mcp_plugin_status",
    "1 for the status each plugin is in, 0 otherwise.",
    ["plugin", "status"],
    registry=REGISTRY,
)
_STATUSES = ("loaded", "disabled", "unavailable", "failed_import", "failed_register")


def counter(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
    """A counter on the server's registry for a pack's own metric (created once per process)."""
    existing = REGISTRY._names_to_collectors.get(name) or REGISTRY._names_to_collectors.get(f"{name}_total")
    if existing is not None:
        return existing  # type: ignore[return-value]
    return Counter(name, documentation, list(labels), registry=REGISTRY)


def gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Gauge:
    """A gauge on the server's registry for a pack's own metric (created once per process)."""
    existing = REGISTRY._names_to_collectors.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return Gauge(name, documentation, list(labels), registry=REGISTRY)


def set_plugin_status(records: Iterable[PluginRecord]) -> None:
    """Publish each plugin's load status as a gauge."""
    for record in records:
        for status in _STATUSES:
            PLUGIN_STATUS.labels(plugin=record.name, status=status).set(1 if record.status == status else 0)


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
