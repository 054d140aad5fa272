"""The Python pack's dataclasses and pydantic models pass `mypy --strict` (with and without pydantic's mypy
plugin), and a program using them type-checks under `mypy --strict` and runs."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import PROOF, run
from generate import Generated

MYPY_INI = """[mypy]
strict = True
python_version = 3.11
{plugins}
[pydantic-mypy]
init_forbid_extra = True
init_typed = True
"""


def _mypy(cwd: Path, cache: Path, plugin: bool, *files: str) -> tuple[int, str]:
    config = cwd / ("mypy-plugin.ini" if plugin else "mypy.ini")
    config.write_text(MYPY_INI.format(plugins="plugins = pydantic.mypy" if plugin else ""))
    command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(cache / "mypy"), *files]
    done = run(command, cwd, env={**os.environ, "MYPYPATH": str(cwd)})
    return done.returncode, done.stdout + done.stderr


def _python_file(generated: list[Generated], ontology: str, template: str) -> Path:
    found = [g.path for g in generated if g.ontology == ontology and g.template.endswith(template)]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("ontology", ["example", "shop"])
def test_python_models_pass_mypy_strict_and_run(
    generated: list[Generated], cache: Path, tmp_path: Path, ontology: str
) -> None:
    shutil.copy(_python_file(generated, ontology, "dataclasses.py.tmpl"), tmp_path / "models.py")
    shutil.copy(_python_file(generated, ontology, "pydantic.py.tmpl"), tmp_path / "schemas.py")
    for plugin in (False, True):
        code, output = _mypy(tmp_path, cache, plugin, "models.py", "schemas.py")
        assert code == 0, f"generated Python fails mypy --strict (pydantic plugin: {plugin}):\n{output}"
    shutil.copy(PROOF / "usage" / f"{ontology}.py", tmp_path / "use.py")
    code, output = _mypy(tmp_path, cache, True, "use.py")
    assert code == 0, f"a program using the generated models fails mypy --strict:\n{output}"
    ran = run([sys.executable, "use.py"], tmp_path)
    assert ran.returncode == 0, ran.stderr
