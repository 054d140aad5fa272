"""docs/conformance.md says what the conformance baselines say: per run, the scenarios its results table
marks as expected failures are exactly the ones the run's conformance/expected-failures-*.yml lists, and
every count of failing scenarios in the text matches."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
RUNS = ["stateful", "stateless", "no-fixture"]  # the table's columns, in order


def _baseline(run: str) -> set[str]:
    data = yaml.safe_load((REPO / "conformance" / f"expected-failures-{run}.yml").read_text()) or {}
    return set(data.get("server") or [])


def _table() -> dict[str, list[str]]:
    rows = {}
    for line in (REPO / "docs" / "conformance.md").read_text().splitlines():
        match = re.match(r"^\| `([a-z0-9-]+)` \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


@pytest.mark.parametrize("column, run", list(enumerate(RUNS)))
def test_results_table_marks_exactly_the_baseline_as_expected(column: int, run: str) -> None:
    rows = _table()
    assert len(rows) >= 30, rows
    expected = {name for name, cells in rows.items() if cells[column].endswith("expected")}
    assert expected == _baseline(run)


def test_every_failure_count_in_the_text_matches_the_no_fixture_baseline() -> None:
    text = (REPO / "docs" / "conformance.md").read_text()
    failing = len(_baseline("no-fixture"))
    counts = [int(n) for n in re.findall(r"(\d+) scenarios that need fixtures fail", text)]
    counts += [int(n) for n in re.findall(r"\(all generic ones\), (\d+) fail", text)]
    assert counts and all(n == failing for n in counts), (counts, failing)
