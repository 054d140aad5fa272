"""The PostgreSQL DDL of the SQL pack runs in a real PostgreSQL (the Debian package, a private cluster on a
unix socket), and the tables it makes enforce the ontology: rows that respect it are accepted, rows that
break a required property, a reference or a datatype are refused with PostgreSQL's own error. The SQLite
dialect runs in SQLite (the library Python links) with the same rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import Postgres, pick
from generate import Generated

# Per ontology: rows that must be accepted (in order; ids come from the identity columns, the first row is 1),
# then (statement, PostgreSQL error) that must be refused.
ACCEPTED = {
    "example": [
        """INSERT INTO "authors" ("name", "birth_date", "biography") VALUES ('Le Guin', '1929-10-21', 'SF')""",
        """INSERT INTO "publishers" ("company_name", "founded_year") VALUES ('Ace', 1952)""",
        """INSERT INTO "books" ("isbn", "title", "written_by_id", "published_by_id", "in_print", "price", "pages",
           "published_at") VALUES ('9780441478125', 'Left Hand', 1, 1, TRUE, 9.99, 304, '1969-03-01T00:00:00Z')""",
        """INSERT INTO "books" ("isbn", "title", "written_by_id") VALUES ('9780061054884', 'The Dispossessed', 1)""",
        """INSERT INTO "people" ("name") VALUES ('Reader')""",
    ],
    "shop": [
        """INSERT INTO "customers" ("email", "born", "loyal") VALUES ('a@example.org', '1990-01-02', TRUE)""",
        """INSERT INTO "orders" ("placed_by_id", "total", "placed_at", "class") VALUES
           (1, 12.50, '2026-01-01T10:00:00+01:00', 'express')""",
        """INSERT INTO "order_lines" ("order_id", "quantity", "type", "weight") VALUES (1, 2, 'book', 0.4)""",
        """INSERT INTO "parties" ("email") VALUES ('b@example.org')""",
    ],
}
REFUSED = {
    "example": [
        ("""INSERT INTO "books" ("isbn", "title", "written_by_id") VALUES ('x', 'y', 99)""", "foreign key constraint"),
        ("""INSERT INTO "books" ("title", "written_by_id") VALUES ('y', 1)""", "not-null constraint"),
        ("""INSERT INTO "authors" ("biography") VALUES ('nameless')""", "not-null constraint"),
        (
            """INSERT INTO "books" ("isbn", "title", "written_by_id", "published_by_id") VALUES ('x', 'y', 1, 7)""",
            "foreign key constraint",
        ),
        (
            """INSERT INTO "books" ("isbn", "title", "written_by_id", "in_print") VALUES ('x', 'y', 1, 'maybe')""",
            "invalid input syntax for type boolean",
        ),
        (
            """INSERT INTO "books" ("isbn", "title", "written_by_id", "pages") VALUES ('x', 'y', 1, 'many')""",
            "invalid input syntax for type bigint",
        ),
        (
            """INSERT INTO "authors" ("name", "birth_date") VALUES ('x', '1929-13-45')""",
            "date/time field value out of range",
        ),
    ],
    "shop": [
        ("""INSERT INTO "orders" ("placed_by_id", "total") VALUES (42, 1)""", "foreign key constraint"),
        ("""INSERT INTO "orders" ("placed_by_id") VALUES (1)""", "not-null constraint"),
        ("""INSERT INTO "order_lines" ("order_id") VALUES (1)""", "not-null constraint"),
        ("""INSERT INTO "customers" ("loyal") VALUES (TRUE)""", "not-null constraint"),
        (
            """INSERT INTO "orders" ("placed_by_id", "total") VALUES (1, 'lots')""",
            "invalid input syntax for type numeric",
        ),
        (
            """INSERT INTO "orders" ("placed_by_id", "total", "placed_at") VALUES (1, 1, 'yesterday-ish')""",
            "invalid input syntax for type timestamp with time zone",
        ),
        ("""DELETE FROM "customers" WHERE "id" = 1""", "foreign key constraint"),
    ],
}
# SQLite stores loosely typed values; only the constraints the DDL declares are checked there.
SQLITE_REFUSED = {
    "example": [
        """INSERT INTO "books" ("isbn", "title", "written_by_id") VALUES ('x', 'y', 99)""",
        """INSERT INTO "books" ("title", "written_by_id") VALUES ('y', 1)""",
        """INSERT INTO "books" ("isbn", "title", "written_by_id", "in_print") VALUES ('x', 'y', 1, 2)""",
    ],
    "shop": [
        """INSERT INTO "orders" ("placed_by_id", "total") VALUES (42, 1)""",
        """INSERT INTO "order_lines" ("order_id") VALUES (1)""",
        """INSERT INTO "customers" ("email", "loyal") VALUES ('c@example.org', 3)""",
    ],
}


@pytest.mark.parametrize("ontology", ["example", "shop"])
def test_postgres_ddl_runs_and_enforces_the_ontology(
    generated: list[Generated], postgres: Postgres, ontology: str
) -> None:
    ddl = pick(generated, ".sql", ontology, dialect="postgres")
    database = f"proof_{ontology}"
    postgres.create_database(database)
    created = postgres.psql(database, ddl.read_text())
    assert created.returncode == 0, f"{ddl} does not run in PostgreSQL:\n{created.stderr}"
    for statement in ACCEPTED[ontology]:
        done = postgres.psql(database, statement)
        assert done.returncode == 0, f"refused a valid row: {statement}\n{done.stderr}"
    for statement, error in REFUSED[ontology]:
        done = postgres.psql(database, statement)
        assert done.returncode != 0, f"PostgreSQL accepted a row the ontology forbids: {statement}"
        assert error in done.stderr, f"{statement}: expected '{error}', got {done.stderr}"


@pytest.mark.parametrize("ontology", ["example", "shop"])
def test_sqlite_ddl_runs_and_enforces_the_ontology(generated: list[Generated], ontology: str) -> None:
    ddl: Path = pick(generated, ".sql", ontology, dialect="sqlite")
    with sqlite3.connect(":memory:") as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.executescript(ddl.read_text())
        for statement in ACCEPTED[ontology]:
            db.execute(statement.replace("TRUE", "1"))
        for statement in SQLITE_REFUSED[ontology]:
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(statement)
