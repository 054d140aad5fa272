"""Saved plans are bounded: the oldest beyond ``template.max_saved_plans`` are removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from ggen_template import saved_plans as plans
from ggen_template.saved_plans import build_plan, new_plan_id, prune_plans, save_plan

from ggen_mcp_core import Workspace


def fake_plans(folder: Path, count: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"202611{day:02d}T120000-{day:08x}.json" for day in range(1, count + 1)]
    for name in names:
        (folder / name).write_text("{}")
    return names


def test_prune_keeps_the_newest_and_leaves_other_files_alone(workspace: Path) -> None:
    folder = workspace / ".ggen" / "plans"
    names = fake_plans(folder, 25)
    (folder / "hand-made.json").write_text("{}")
    assert prune_plans(Workspace(workspace), 10) == 15
    assert sorted(p.name for p in folder.iterdir()) == sorted([*names[-10:], "hand-made.json"])
    assert prune_plans(Workspace(workspace), 10) == 0


def test_saving_a_plan_prunes_to_the_limit(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plans, "PRUNE_EVERY", 1)
    folder = workspace / ".ggen" / "plans"
    fake_plans(folder, 5)
    plan = build_plan(new_plan_id(), template="t", output=".", variables={}, seed=None, graph=None, actions=[])
    path = save_plan(Workspace(workspace), plan, keep=3)
    kept = sorted(p.name for p in folder.iterdir())
    assert len(kept) == 3 and Path(path).name in kept  # the new plan is the newest, so it stays
