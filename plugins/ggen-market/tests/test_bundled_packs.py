"""The bundled packs, rendered through the template pack's project_gen, and their output checked by the
real tools where they exist here: Python imports and round-trips, SQLite runs the DDL and enforces it,
rustc compiles the Rust (against a local stand-in for serde's derive macros), tsc or Node checks the
TypeScript when one of them can."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import importlib.util
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest
from pydantic import ValidationError
from test_bundled_workflow import call

PYTHON, TS = "io.ggen.python.models", "io.ggen.typescript.interfaces"
SQL, RUST = "io.ggen.sql.ddl", "io.ggen.rust.serde"
MY_ONTOLOGY = """
@prefix : <http://example.org/shop#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
:Order a owl:Class ; rdfs:comment "A customer's order." ;
    rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :total ; owl:cardinality 1 ] .
:OrderLine a rdfs:Class .
:total a owl:DatatypeProperty ; rdfs:domain :Order ; rdfs:range xsd:decimal .
:placedAt a owl:DatatypeProperty ; rdfs:domain :Order ; rdfs:range xsd:dateTime .
:class a owl:DatatypeProperty ; rdfs:domain :Order ; rdfs:range xsd:string .
:order a owl:ObjectProperty ; rdfs:domain :OrderLine ; rdfs:range :Order .
:quantity a owl:DatatypeProperty ; rdfs:domain :OrderLine ; rdfs:range xsd:integer .
"""


async def _render_all(workspace: Path) -> None:
    from ggen_mcp_core.testing import make_host, open_client

    host = make_host(workspace, ["market", "template", "graph"])
    assert host.record("template").status == "loaded", host.record("template").error
    async with open_client(host, mode="legacy") as client:
        for pack in (PYTHON, TS, SQL, RUST):
            await call(client, "market_install", {"package": pack})
            result = await call(client, "project_gen", {"template": f"{pack}:", "output": "out"})
            assert result["files_created"], pack
        await call(
            client,
            "project_gen",
            {
                "template": f"{SQL}:schema.sql.tmpl",
                "output": "out",
                "vars": {"dialect": "postgres", "module": "schema_pg"},
            },
        )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every bundled pack installed and rendered from its example ontology into ``out/`` (once per module)."""
    workspace = tmp_path_factory.mktemp("packs")
    anyio.run(_render_all, workspace)
    return workspace / "out"


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def test_python_dataclasses_and_pydantic_models_work(generated: Path) -> None:
    models = load_module(generated / "models.py", "generated_models")
    author = models.Author(name="Ursula K. Le Guin", birth_date=datetime.date(1929, 10, 21))
    book = models.Book(
        isbn="9780441478125",
        title="The Left Hand of Darkness",
        written_by=author,
        price=decimal.Decimal("9.99"),
        in_print=True,
    )
    assert dataclasses.asdict(book)["written_by"]["name"] == "Ursula K. Le Guin"
    assert [f.name for f in dataclasses.fields(models.Book)][:3] == ["isbn", "title", "written_by"]
    with pytest.raises(TypeError):
        models.Book(title="missing isbn and author")
    assert models.__all__ == ["Author", "Book", "Person", "Publisher"]

    schemas = load_module(generated / "schemas.py", "generated_schemas")
    data = {
        "isbn": "9780441478125",
        "title": "The Dispossessed",
        "writtenBy": {"name": "Le Guin"},
        "price": "12.50",
        "publishedAt": "1974-05-01T00:00:00Z",
        "publishedBy": {"companyName": "Harper"},
    }
    model = schemas.Book.model_validate(data)
    assert model.price == decimal.Decimal("12.50") and model.written_by.name == "Le Guin"
    assert schemas.Book.model_validate(model.model_dump(by_alias=True)) == model
    assert json.loads(model.model_dump_json(by_alias=True, exclude_none=True))["writtenBy"] == {"name": "Le Guin"}
    with pytest.raises(ValidationError):
        schemas.Book.model_validate({"title": "no isbn", "writtenBy": {"name": "x"}})
    with pytest.raises(ValidationError):
        schemas.Author.model_validate({"name": "x", "unknown": 1})
    assert "Full name." in json.dumps(schemas.Person.model_json_schema())


def test_sql_ddl_runs_in_sqlite_and_enforces_the_ontology(generated: Path) -> None:
    with sqlite3.connect(":memory:") as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.executescript((generated / "schema.sql").read_text())
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"authors", "books", "people", "publishers"}
        db.execute('INSERT INTO "authors" ("id", "name") VALUES (1, \'Le Guin\')')
        db.execute(
            'INSERT INTO "books" ("isbn", "title", "written_by_id", "in_print", "price") '
            "VALUES ('9780441478125', 'Left Hand', 1, 1, 9.99)"
        )
        for bad in (
            'INSERT INTO "books" ("isbn", "title", "written_by_id") VALUES (\'x\', \'y\', 99)',  # no author 99
            'INSERT INTO "books" ("title", "written_by_id") VALUES (\'y\', 1)',  # isbn is required
            'INSERT INTO "books" ("isbn", "title", "written_by_id", "in_print") VALUES (\'x\', \'y\', 1, 2)',
        ):
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(bad)
    postgres = (generated / "schema_pg.sql").read_text()
    assert 'ALTER TABLE "books" ADD CONSTRAINT "books_written_by_id_fkey" FOREIGN KEY ("written_by_id")' in postgres
    assert '"published_at" TIMESTAMP WITH TIME ZONE' in postgres and "REFERENCES" not in postgres.split("ALTER")[0]


SERDE_STAND_IN = """
extern crate proc_macro;
use proc_macro::TokenStream;
#[proc_macro_derive(Serialize, attributes(serde))]
pub fn serialize(_: TokenStream) -> TokenStream { TokenStream::new() }
#[proc_macro_derive(Deserialize, attributes(serde))]
pub fn deserialize(_: TokenStream) -> TokenStream { TokenStream::new() }
"""
RUST_MAIN = """
mod models;
use models::*;
fn main() {
    let author = Author { name: "Le Guin".to_string(), biography: None, birth_date: Some("1929-10-21".into()) };
    let book = Book { isbn: "9780441478125".into(), title: "Left Hand".into(), written_by: Box::new(author.clone()),
                      in_print: Some(true), pages: Some(304), price: Some(9.99), published_at: None,
                      published_by: Some(Box::new(Publisher { company_name: "Ace".into(),
                                                              founded_year: Some(1952) })) };
    assert_eq!(book.written_by.name, author.name);
    let _ = Person { name: book.title.clone(), birth_date: None };
}
"""


def test_rust_structs_compile(generated: Path, tmp_path: Path) -> None:
    rustc = shutil.which("rustc")
    if rustc is None:
        pytest.skip("rustc is not installed here")
    (tmp_path / "serde.rs").write_text(SERDE_STAND_IN)
    (tmp_path / "main.rs").write_text(RUST_MAIN)
    shutil.copy(generated / "models.rs", tmp_path / "models.rs")
    run = {"cwd": tmp_path, "capture_output": True, "text": True, "timeout": 300}
    macro = subprocess.run(
        [
            rustc,
            "--edition",
            "2021",
            "--crate-type",
            "proc-macro",
            "--crate-name",
            "serde",
            "serde.rs",
            "-o",
            "libserde.so",
        ],
        **run,
    )
    assert macro.returncode == 0, macro.stderr
    built = subprocess.run(
        [
            rustc,
            "--edition",
            "2021",
            "-D",
            "warnings",
            "-A",
            "dead_code",
            "--extern",
            "serde=libserde.so",
            "main.rs",
            "-o",
            "check",
        ],
        **run,
    )
    assert built.returncode == 0, built.stderr
    assert subprocess.run([str(tmp_path / "check")], **run).returncode == 0


def test_typescript_interfaces_check(generated: Path, tmp_path: Path) -> None:
    text = (generated / "models.ts").read_text()
    assert "export interface Book {" in text and "  writtenBy: Author;" in text and "  pages?: number;" in text
    usage = tmp_path / "use.ts"
    shutil.copy(generated / "models.ts", tmp_path / "models.ts")
    usage.write_text(
        'import type { Book } from "./models";\n'
        'const b: Book = { isbn: "1", title: "t", writtenBy: { name: "n" } };\nexport default b;\n'
    )
    tsc = shutil.which("tsc")
    if tsc is not None:
        done = subprocess.run(
            [tsc, "--strict", "--noEmit", "--target", "es2020", str(usage)], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return
    node = shutil.which("node")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout if node else ""
    major, minor = (int(p) for p in version.lstrip("v").split(".")[:2]) if version else (0, 0)
    if (major, minor) < (22, 6):
        pytest.skip(f"no TypeScript checker here (tsc absent, node {version.strip() or 'absent'} cannot strip types)")
    done = subprocess.run(
        [node, "--experimental-strip-types", str(tmp_path / "models.ts")], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.anyio
async def test_generating_from_your_own_ontology(ggen_host: Any, ggen_client: Any, ggen_workspace: Path) -> None:
    async with ggen_client(ggen_host(["market", "template", "graph"]), mode="legacy") as client:
        await call(client, "graph_load", {"content": MY_ONTOLOGY, "graph": "urn:shop"})
        for pack in (PYTHON, SQL):
            await call(client, "market_install", {"package": pack})
        await call(
            client,
            "project_gen",
            {
                "template": f"{PYTHON}:dataclasses.py.tmpl",
                "graph": "urn:shop",
                "vars": {"example": False, "module": "shop"},
            },
        )
        await call(
            client,
            "project_gen",
            {"template": f"{SQL}:schema.sql.tmpl", "graph": "urn:shop", "vars": {"example": False, "module": "shop"}},
        )
    shop = load_module(ggen_workspace / "shop.py", "generated_shop")
    order = shop.Order(total=decimal.Decimal("3.50"), class_="express")
    line = shop.OrderLine(order=order, quantity=2)
    assert line.order.total == decimal.Decimal("3.50") and shop.__all__ == ["Order", "OrderLine"]
    with sqlite3.connect(":memory:") as db:
        db.executescript((ggen_workspace / "shop.sql").read_text())
        assert {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == {
            "orders",
            "order_lines",
        }
