"""The TypeScript pack's interfaces pass `tsc --strict` (npm typescript on Node 22), a program using them
compiles and runs on Node, and code that breaks the ontology (a required property missing, a wrong type)
is refused by the compiler."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import PROOF, pick, run, toolchain
from generate import Generated

# Per ontology: (file body, TypeScript error code tsc must report). Each must fail on its own.
REJECTED = {
    "example": [
        ('import type { Book } from "./models";\nexport const b: Book = { isbn: "1", title: "t" };\n', "TS2741"),
        ('import type { Author } from "./models";\nexport const a: Author = { name: 7 };\n', "TS2322"),
        (
            'import type { Publisher } from "./models";\n'
            'export const p: Publisher = { companyName: "x", city: "y" };\n',
            "TS2353",
        ),
    ],
    "shop": [
        ('import type { Order } from "./models";\nexport const o: Order = { total: 1 };\n', "TS2741"),
        (
            'import type { OrderLine, Order } from "./models";\n'
            'declare const o: Order;\nexport const l: OrderLine = { order: o, quantity: "2" };\n',
            "TS2322",
        ),
        (
            'import type { Customer } from "./models";\nexport const c: Customer = { email: "e", loyal: "yes" };\n',
            "TS2322",
        ),
    ],
}
TSC_FLAGS = ["--strict", "--target", "es2022", "--module", "commonjs"]


def _tsc(node: Path, tsc: Path, cwd: Path, *args: str) -> tuple[int, str]:
    done = run([str(node), str(tsc), *TSC_FLAGS, *args], cwd)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("ontology", ["example", "shop"])
def test_typescript_compiles_strict_and_runs(generated: list[Generated], tmp_path: Path, ontology: str) -> None:
    node, tsc = toolchain("PROOF_NODE"), toolchain("PROOF_TSC")
    shutil.copy(pick(generated, ".ts", ontology), tmp_path / "models.ts")
    shutil.copy(PROOF / "usage" / f"{ontology}.ts", tmp_path / "use.ts")
    code, output = _tsc(node, tsc, tmp_path, "--noEmit", "models.ts")
    assert code == 0, f"the generated models.ts fails tsc --strict:\n{output}"
    code, output = _tsc(node, tsc, tmp_path, "--outDir", "js", "use.ts")
    assert code == 0, f"a program using the generated interfaces fails tsc --strict:\n{output}"
    ran = run([str(node), "js/use.js"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("{"), ran.stdout


@pytest.mark.parametrize("ontology", ["example", "shop"])
def test_typescript_refuses_what_the_ontology_forbids(
    generated: list[Generated], tmp_path: Path, ontology: str
) -> None:
    node, tsc = toolchain("PROOF_NODE"), toolchain("PROOF_TSC")
    shutil.copy(pick(generated, ".ts", ontology), tmp_path / "models.ts")
    names = []
    for number, (body, _) in enumerate(REJECTED[ontology]):
        names.append(f"rejected_{number}.ts")
        (tmp_path / names[-1]).write_text(body)
    code, output = _tsc(node, tsc, tmp_path, "--noEmit", *names)
    assert code != 0, f"tsc accepted code the ontology forbids:\n{output}"
    for name, (_, error) in zip(names, REJECTED[ontology], strict=True):
        assert re.search(rf"^{re.escape(name)}\(\d+,\d+\): error {error}", output, re.M), (name, error, output)
    assert "models.ts" not in output, output
