"""How ggen-mcp is installed and released, checked statically: the release workflow builds every distribution in
one job and publishes them together with trusted publishing; `make run` serves a chosen workspace; uv goes into
the venv; the README's install lines are the ones that work (issue 14, "Install as the README says")."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
RELEASE = REPO / ".github" / "workflows" / "release.yml"
PUBLISH_ACTION = "pypa/gh-action-pypi-publish"


def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(RELEASE.read_text())
    assert isinstance(data, dict)
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def test_release_runs_on_version_tags_with_read_only_defaults() -> None:
    data = workflow()
    triggers = data.get("on") or data.get(True)  # YAML 1.1 reads a bare `on` key as True
    assert triggers == {"push": {"tags": ["v*"]}}
    assert data["permissions"] == {"contents": "read"}


def test_one_job_builds_every_distribution() -> None:
    jobs = workflow()["jobs"]
    builders = [name for name, job in jobs.items() if any("make wheels" in str(s.get("run", "")) for s in steps(job))]
    assert builders == ["build"], "exactly one job builds the distributions"
    build = jobs["build"]
    assert "id-token" not in (build.get("permissions") or {}), "the build job gets no publishing token"
    uploads = [s for s in steps(build) if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(uploads) == 1 and uploads[0]["with"]["path"] == "dist/"
    counted = next(s["run"] for s in steps(build) if "carries the tag's version" in s.get("name", ""))
    assert "plugins/*/" in counted and "GITHUB_REF_NAME" in counted


def test_publish_uses_trusted_publishing_for_all_of_them_together() -> None:
    jobs = workflow()["jobs"]
    publishers = [name for name, job in jobs.items() if any(PUBLISH_ACTION in str(s.get("uses")) for s in steps(job))]
    assert publishers == ["publish"], "one job publishes every distribution"
    publish = jobs["publish"]
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish.get("environment") == "release"
    (action,) = [s for s in steps(publish) if PUBLISH_ACTION in str(s.get("uses"))]
    inputs = action.get("with") or {}
    assert inputs.get("packages-dir") == "dist/"
    assert not {"password", "user", "repository-url"} & set(inputs), "trusted publishing: no token, default target"
    downloads = [s for s in steps(publish) if str(s.get("uses", "")).startswith("actions/download-artifact@")]
    assert len(downloads) == 1 and downloads[0]["with"]["path"] == "dist/"


def test_release_workflow_names_no_host_or_url() -> None:
    assert "://" not in RELEASE.read_text()


def dry_run(*args: str) -> str:
    """What make would run (``-n``: printed, nothing run)."""
    out = subprocess.run(["make", "-n", *args], capture_output=True, text=True, cwd=REPO, check=True)
    return out.stdout


def test_make_run_serves_a_workspace_folder_not_the_checkout() -> None:
    default = dry_run("-o", ".venv/.installed", "run")
    assert 'mkdir -p "./workspace"' in default
    assert re.search(r'ggen-mcp serve --transport http .*--workspace "\./workspace"', default)
    chosen = dry_run("-o", ".venv/.installed", "run", "WORKSPACE=/srv/project")
    assert 'mkdir -p "/srv/project"' in chosen and '--workspace "/srv/project"' in chosen
    assert "/workspace/" in (REPO / ".gitignore").read_text().splitlines()


def test_make_install_puts_uv_into_the_venv() -> None:
    recipe = dry_run("-B", ".venv/.installed")  # the whole install recipe, as on a fresh machine
    installs = re.findall(r"(\S+) -m pip install[^\n;|&]*", recipe)
    assert installs == [".venv/bin/python"], recipe
    assert re.search(r"-m pip install -q uv", recipe)
    assert re.search(r"\S*python\S* -m venv \.venv", recipe), "the venv comes from the interpreter's venv module"
    assert ".venv/bin/uv pip install" in recipe


def test_readme_says_how_to_install_today_and_after_publishing() -> None:
    readme = (REPO / "README.md").read_text()
    assert "make run WORKSPACE=" in readme
    assert "make wheels" in readme
    assert "pip install --no-index --find-links dist/ 'ggen-mcp[all]'" in readme
    assert "pip install --no-index --find-links dist/ 'ggen-mcp[market]'" in readme
    assert "uvx --from 'ggen-mcp[all]' ggen-mcp serve" in readme
    assert "pipx run --spec 'ggen-mcp[all]' ggen-mcp serve" in readme
    assert ".github/workflows/release.yml" in readme
