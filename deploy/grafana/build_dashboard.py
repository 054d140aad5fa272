"""The Grafana dashboard deploy/grafana/dashboards/ggen-mcp.json, built from the panel list below.

    python deploy/grafana/build_dashboard.py      # rewrite the JSON after editing the panels here

scripts/validate-deploy.sh fails when the committed JSON differs from what this file builds, and when a query
uses a metric or label ggen-mcp does not export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent / "dashboards" / "ggen-mcp.json"
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job", instance=~"$instance"'
FAILING = 'outcome=~"error|timeout"'


def _thresholds(*steps: tuple[str, float | None]) -> dict[str, Any]:
    return {"mode": "absolute", "steps": [{"color": color, "value": value} for color, value in steps]}


# (title, panel type, [(expr, legend)], (x, y, w, h), unit, description, thresholds)
PANELS: list[tuple[str, str, list[tuple[str, str]], tuple[int, int, int, int], str | None, str, Any]] = [
    ("Tool calls per second by outcome", "timeseries",
     [(f"sum by (outcome) (rate(ggen_mcp_tool_calls_total{{{SEL}}}[$__rate_interval]))", "{{outcome}}")],
     (0, 0, 12, 8), "reqps",
     "Every finished tool call, by outcome (ok, error, timeout, invalid, denied, rate_limited, busy, cancelled).",
     None),
    ("Failing calls (error or timeout)", "stat",
     [(f"sum(rate(ggen_mcp_tool_calls_total{{{SEL}, {FAILING}}}[$__range]))"
       f" / sum(rate(ggen_mcp_tool_calls_total{{{SEL}}}[$__range]))", "failing")],
     (12, 0, 4, 4), "percentunit",
     "Share of calls in the selected range that ended in isError or a timeout (alert GgenMcpHighErrorRate: 10 %).",
     _thresholds(("green", None), ("orange", 0.05), ("red", 0.1))),
    ("Tool calls in flight", "stat",
     [(f"sum(ggen_mcp_tool_calls_in_flight{{{SEL}}})", "in flight")],
     (16, 0, 4, 4), "short", "Calls running now across the selected replicas (max_concurrent_calls per replica).",
     None),
    ("Plugins not loaded", "stat",
     [(f'count(ggen_mcp_plugin_status{{{SEL}, status=~"failed_import|failed_register"}} == 1) or vector(0)',
       "failed")],
     (20, 0, 4, 4), "short", "Plugins that failed to import or register on a selected replica (GgenMcpPluginFailed).",
     _thresholds(("green", None), ("red", 1))),
    ("Rate-limited calls per second", "stat",
     [(f"sum(rate(ggen_mcp_rate_limited_total{{{SEL}}}[$__rate_interval]))", "rate limited")],
     (12, 4, 6, 4), "reqps", "Calls refused over a principal's rate limit (alert GgenMcpRateLimitStorm above 1/s).",
     None),
    ("Auth failures per second", "stat",
     [(f"sum(rate(ggen_mcp_auth_failures_total{{{SEL}}}[$__rate_interval]))", "auth failures")],
     (18, 4, 6, 4), "reqps", "HTTP requests answered 401 or 403 (alert GgenMcpAuthFailures above 0.5/s).", None),
    ("p95 duration by tool", "timeseries",
     [(f"histogram_quantile(0.95, sum by (tool, le) "
       f"(rate(ggen_mcp_tool_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))", "{{tool}}")],
     (0, 8, 12, 8), "s", "95th percentile of tool call duration (alert GgenMcpHighLatencyP95 above 2 s).", None),
    ("Duration percentiles, all tools", "timeseries",
     [(f"histogram_quantile({q}, sum by (le) "
       f"(rate(ggen_mcp_tool_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))", f"p{round(q * 100)}")
      for q in (0.5, 0.95, 0.99)],
     (12, 8, 12, 8), "s", "p50, p95 and p99 over every tool.", None),
    ("Calls per second by tool", "timeseries",
     [(f"sum by (tool) (rate(ggen_mcp_tool_calls_total{{{SEL}}}[$__rate_interval]))", "{{tool}}")],
     (0, 16, 12, 8), "reqps", "", None),
    ("Failing calls per second by tool", "timeseries",
     [(f"sum by (tool, outcome) (rate(ggen_mcp_tool_calls_total{{{SEL}, {FAILING}}}[$__rate_interval]))",
       "{{tool}} {{outcome}}")],
     (12, 16, 12, 8), "reqps", "Which tools fail, and how.", None),
    ("In flight per replica", "timeseries",
     [(f"ggen_mcp_tool_calls_in_flight{{{SEL}}}", "{{instance}}")], (0, 24, 8, 8), "short", "", None),
    ("Rate-limited by tool", "timeseries",
     [(f"sum by (tool) (rate(ggen_mcp_rate_limited_total{{{SEL}}}[$__rate_interval]))", "{{tool}}")],
     (8, 24, 8, 8), "reqps", "", None),
    ("Auth failures by reason", "timeseries",
     [(f"sum by (reason) (rate(ggen_mcp_auth_failures_total{{{SEL}}}[$__rate_interval]))", "{{reason}}")],
     (16, 24, 8, 8), "reqps", "", None),
    ("Plugin status", "table",
     [(f"max by (instance, plugin, status) (ggen_mcp_plugin_status{{{SEL}}}) == 1", "")],
     (0, 32, 12, 8), None,
     "The status each plugin is in on each replica (loaded, disabled, unavailable, failed_import, failed_register).",
     None),
    ("Circuit breakers open", "timeseries",
     [(f'max by (dependency, name) (ggen_mcp_breaker_state{{{SEL}, state="open"}})', "{{dependency}} {{name}}")],
     (12, 32, 12, 8), "short",
     "1 while a circuit breaker is open: the remote SPARQL store (dependency sparql, alert "
     "GgenMcpStoreBreakerOpen) or a market registry (dependency registry, alert GgenMcpBreakerOpen).", None),
    ("Generation success rate", "stat",
     [(f'sum(rate(ggen_mcp_lifecycle_events_total{{{SEL}, event="post_gen", outcome="ok"}}[$__range]))'
       f' / sum(rate(ggen_mcp_lifecycle_events_total{{{SEL}, event="pre_gen"}}[$__range]))', "completed")],
     (0, 40, 6, 8), "percentunit",
     "Generations that reached post_gen, out of those that started (pre_gen), in the selected range.",
     _thresholds(("red", None), ("orange", 0.9), ("green", 0.99))),
    ("Lifecycle events per second", "timeseries",
     [(f"sum by (event, outcome) (rate(ggen_mcp_lifecycle_events_total{{{SEL}}}[$__rate_interval]))",
       "{{event}} {{outcome}}")],
     (6, 40, 18, 8), "reqps", "pre_gen, post_gen, pre_apply, post_apply; 'aborted' when a hook stopped the generation.",
     None),
]


def panel(number: int, spec: tuple[Any, ...]) -> dict[str, Any]:
    """One panel of the dashboard."""
    title, kind, queries, (x, y, w, h), unit, description, thresholds = spec
    table = {"instant": True, "format": "table"} if kind == "table" else {}
    defaults: dict[str, Any] = {}
    if unit:
        defaults["unit"] = unit
    if thresholds:
        defaults["thresholds"] = thresholds
    built: dict[str, Any] = {
        "id": number, "title": title, "type": kind, "description": description, "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [{"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend, **table}
                    for i, (expr, legend) in enumerate(queries)],
        "fieldConfig": {"defaults": defaults, "overrides": []}, "options": {},
    }
    if kind == "table":
        built["transformations"] = [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True}}}]
    return built


def _variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name, "label": label, "type": "query", "datasource": DS,
        "query": {"query": query, "refId": name}, "definition": query,
        "includeAll": True, "allValue": ".*", "multi": True, "refresh": 2,
        "current": {"text": "All", "value": "$__all"},
    }


def dashboard() -> dict[str, Any]:
    """The whole dashboard model."""
    return {
        "uid": "ggen-mcp", "title": "ggen-mcp",
        "description": "Tool calls, latency, saturation, rate limits, authentication and plugins of ggen-mcp.",
        "tags": ["ggen-mcp", "mcp"], "timezone": "browser", "editable": False, "graphTooltip": 1,
        "schemaVersion": 39, "version": 1, "refresh": "30s", "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
             "current": {"text": "Prometheus", "value": "prometheus"}, "hide": 0},
            _variable("job", "Job", "label_values(ggen_mcp_tool_calls_total, job)"),
            _variable("instance", "Instance", 'label_values(ggen_mcp_tool_calls_total{job=~"$job"}, instance)'),
        ]},
        "annotations": {"list": []},
        "panels": [panel(number, spec) for number, spec in enumerate(PANELS, 1)],
    }


def render() -> str:
    """The JSON text as committed."""
    return json.dumps(dashboard(), indent=2) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
