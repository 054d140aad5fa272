"""End to end: the bookstore example (OWL ontology -> Python, SQL DDL, TypeScript) through an MCP session.

The generated code must really work: the Python imports and round-trips instances through JSON, and the
DDL runs in sqlite3 with its foreign keys enforced.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import shutil
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import call_ok

pytestmark = pytest.mark.anyio
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "bookstore"


def import_file(path: Path, name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


async def test_bookstore_generates_working_code(ggen_host, ggen_client, workspace) -> None:
    shutil.copytree(EXAMPLE, workspace / "bookstore")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        report = await call_ok(client, "template_validate", {"template": "bookstore/templates"})
        assert report["valid"], report["errors"]
        out = await call_ok(
            client,
            "project_gen",
            {"template": "bookstore/templates", "output": "generated", "vars": {"package": "shop"}},
        )
        assert sorted(out["files_created"]) == [
            "generated/shop/__init__.py",
            "generated/shop/models.py",
            "generated/sql/schema.sql",
            "generated/typescript/models.ts",
        ]
        listed = await call_ok(client, "template_list", {})
        assert listed["count"] == 0  # the example lives outside templates/
        again = await call_ok(
            client,
            "project_gen",
            {"template": "bookstore/templates", "output": "generated", "vars": {"package": "shop"}},
        )
        assert len(again["files_skipped"]) == 4
    generated = workspace / "generated"

    models = import_file(generated / "shop" / "models.py", "generated_shop_models")
    author = models.Author(id=1, name="Ursula K. Le Guin", birth_date=datetime.date(1929, 10, 21))
    book = models.Book(
        id=7,
        isbn="9780441478125",
        title="The Left Hand of Darkness",
        written_by_id=1,
        price=Decimal("9.99"),
        page_count=304,
        in_print=True,
    )
    review = models.Review(id=3, rating=5, reviews_id=7)
    for instance in (author, book, review, models.Publisher(id=2, name="Ace")):
        wire = json.loads(json.dumps(instance.to_dict()))
        assert type(instance).from_dict(wire) == instance
    assert book.published_by_id is None and "birth_date" in author.to_dict()

    ddl = (generated / "sql" / "schema.sql").read_text()
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA foreign_keys = ON")
    db.executescript(ddl)
    db.execute("INSERT INTO authors (id, name, birth_date) VALUES (1, 'Le Guin', '1929-10-21')")
    db.execute("INSERT INTO books (id, isbn, title, written_by_id, price) VALUES (7, '978', 'Left Hand', 1, 9.99)")
    db.execute("INSERT INTO reviews (id, rating, reviews_id) VALUES (1, 5, 7)")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO books (id, isbn, title, written_by_id) VALUES (8, '979', 'Orphan', 99)")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO books (id, title, written_by_id) VALUES (9, 'No ISBN', 1)")
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"authors", "books", "publishers", "reviews"}

    ts = (generated / "typescript" / "models.ts").read_text()
    assert "export interface Book {" in ts and "  writtenById: number;" in ts and "  publishedById?: number;" in ts
    assert ts.count("export interface") == 4 and ts.count("{") == ts.count("}")


async def test_bookstore_regeneration_keeps_manual_imports(ggen_host, ggen_client, workspace) -> None:
    shutil.copytree(EXAMPLE, workspace / "bookstore")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        await call_ok(client, "project_gen", {"template": "bookstore/templates"})
        models = workspace / "bookstore" / "models.py"
        models.write_text(
            models.read_text().replace("# MANUAL START imports\n", "# MANUAL START imports\nimport json  # mine\n")
        )
        ontology = workspace / "bookstore" / "bookstore.ttl"
        ontology.write_text(ontology.read_text().replace('"Number of pages."', '"Pages, covers excluded."'))
        diff = await call_ok(client, "project_diff", {"template": "bookstore/templates"})
        assert diff["differences"] and {f["path"] for f in diff["files"] if f["status"] == "modified"} == {
            "typescript/models.ts"
        }
        await call_ok(client, "project_gen", {"template": "bookstore/templates", "force": True})
    assert "import json  # mine\n" in models.read_text()
    assert "/** Pages, covers excluded. */" in (workspace / "typescript" / "models.ts").read_text()
