"""Metric names: the ones the code exports (found in its source) and the ones a PromQL expression uses."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

METRIC_CLASSES = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}
# ggen_mcp_core.observability's helpers packs use for their own metrics: counter(name, doc, labels), gauge(...).
# Custom collectors yield metric families made at scrape time (the market pack's breaker states).
HELPERS = {"counter": "Counter", "gauge": "Gauge", "histogram": "Histogram",
           "GaugeMetricFamily": "Gauge", "CounterMetricFamily": "Counter"}
# Series Prometheus itself attaches or creates: target labels and the scrape health series.
TARGET_LABELS = frozenset({"job", "instance"})
BUILTIN_SERIES: dict[str, frozenset[str]] = {"up": frozenset(), "scrape_duration_seconds": frozenset()}
KEYWORDS = frozenset({
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
    "inf", "nan",
})
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}")
_MATCHER_LABEL = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
_IDENTIFIER = re.compile(r"(?<![a-zA-Z0-9_:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![a-zA-Z0-9_:])\s*(\(?)")


@dataclass
class Exported:
    """Series names the code exports, each with the labels it carries."""

    series: dict[str, frozenset[str]] = field(default_factory=dict)
    declared_in: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, name: str, labels: Iterable[str], where: str) -> None:
        labels = frozenset(labels)
        base = name[: -len("_total")] if kind == "Counter" and name.endswith("_total") else name
        names = {
            "Counter": [f"{base}_total", f"{base}_created"],
            "Gauge": [name],
            "Histogram": [f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"],
            "Summary": [name, f"{name}_sum", f"{name}_count", f"{name}_created"],
            "Info": [f"{name}_info"],
            "Enum": [name],
        }[kind]
        for series in names:
            extra = {"le"} if series.endswith("_bucket") else {"quantile"} if kind == "Summary" else set()
            self.series[series] = labels | extra
            self.declared_in[series] = where


def exported_metrics(roots: Iterable[Path]) -> Exported:
    """Every ``Counter("name", doc, labelnames)`` or ``gauge("name", doc, labels)`` declaration in the Python
    files under ``roots`` (tests excluded)."""
    found = Exported()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "tests" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                declared = _declaration(node)
                if declared is not None:
                    kind, name, labels = declared
                    found.add(kind, name, labels, f"{path}:{getattr(node, 'lineno', 0)}")
    return found


def _declaration(node: ast.AST) -> tuple[str, str, list[str]] | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    kind = HELPERS.get(called or "", called)
    if kind not in METRIC_CLASSES or not node.args:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    label_node: ast.AST | None = node.args[2] if len(node.args) > 2 else None
    for keyword in node.keywords:
        if keyword.arg in ("labelnames", "labels"):
            label_node = keyword.value
    labels: list[str] = []
    if isinstance(label_node, (ast.List, ast.Tuple)):
        labels = [e.value for e in label_node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return kind, first.value, labels


@dataclass(frozen=True)
class Usage:
    """What one expression reads: series names, the labels its selectors match, its grouping labels."""

    series: frozenset[str]
    selector_labels: tuple[tuple[str, frozenset[str]], ...]
    grouping_labels: frozenset[str]


def usage(expr: str) -> Usage:
    """The series, selector labels and grouping labels of a PromQL expression (a lexical scan, no parser)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # string literals
    text = re.sub(r"\[[^\]]*\]", "", text)  # range and subquery durations
    grouping: set[str] = set()
    for match in _GROUPING.finditer(text):
        grouping |= {label.strip() for label in match.group(2).split(",") if label.strip()}
    text = _GROUPING.sub(" ", text)
    selectors = tuple(
        (m.group(1), frozenset(_MATCHER_LABEL.findall(m.group(2)))) for m in _SELECTOR.finditer(text)
    )
    bare = re.sub(r"\{[^}]*\}", " ", text)
    series = set()
    for match in _IDENTIFIER.finditer(bare):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS or re.fullmatch(r"\d+[smhdwy]", name):
            continue
        series.add(name)
    return Usage(frozenset(series), selectors, frozenset(grouping))


def check_expression(
    expr: str, exported: Exported, recorded: dict[str, frozenset[str]], where: str
) -> list[str]:
    """Problems with one expression: unknown series, or labels the series does not carry."""
    known = {**BUILTIN_SERIES, **exported.series, **recorded}
    used = usage(expr)
    problems = [
        f"{where}: metric {name!r} is not exported by ggen-mcp (nor recorded by a rule)"
        for name in sorted(used.series)
        if name not in known
    ]
    for name, labels in used.selector_labels:
        if name in known:
            unknown = labels - known[name] - TARGET_LABELS
            problems += [f"{where}: {name} has no label {label!r}" for label in sorted(unknown)]
    available = set(TARGET_LABELS)
    for name in used.series:
        available |= known.get(name, frozenset())
    problems += [
        f"{where}: groups by {label!r}, which none of {sorted(used.series)} carries"
        for label in sorted(used.grouping_labels - available)
    ]
    return problems
