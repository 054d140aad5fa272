"""SQL checked by a real engine: the statements run one by one in a private, empty, in-memory SQLite database
that is rolled back and thrown away afterwards (stdlib ``sqlite3``; no outer transaction is opened, so the
content's own ``BEGIN``/``COMMIT`` run as written). The dialect is SQLite's: syntax only another engine knows
(PostgreSQL's ``::`` casts, ``ILIKE``, ``RETURNING`` on old SQLite...) is reported as a problem, named as such.

Bounds: the time (a progress handler interrupts a statement past the deadline), the database's size
(``max_page_count``), string and blob sizes, the number of statements, and no file is reachable (``ATTACH``
and ``VACUUM INTO`` are refused by an authorizer and a zero attached-database limit; extensions stay off).
"""

from __future__ import annotations

import sqlite3
import time

from ggen_ai.loop import Check

VALIDATOR = f"sqlite3 {sqlite3.sqlite_version} (statements run in an empty in-memory database, then discarded)"
MAX_STATEMENTS = 500
MAX_ROWS = 1000
SECONDS = 2.0
MAX_PAGES = 4096  # x 4 KiB pages: 16 MiB of database
MAX_LENGTH = 1_000_000
DIALECT_NOTE = (
    f" (the SQL check runs SQLite {sqlite3.sqlite_version}: syntax of another dialect, such as PostgreSQL's "
    "`::` casts or ILIKE, is reported as an error)"
)
EMPTY_NOTE = " (the SQL check runs the content in an empty database: include the CREATE TABLE statements it uses)"
_DENIED = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH}


def statements(text: str) -> tuple[list[tuple[int, str]], str]:
    """``text`` cut into complete statements (SQLite's own tokenizer decides, through ``complete_statement``)
    with the line each starts on, and what is left after the last one."""
    found: list[tuple[int, str]] = []
    begin = end = 0
    while (cut := text.find(";", end)) >= 0:
        end = cut + 1
        if sqlite3.complete_statement(text[begin:end]):
            found.append((_line_of(text, begin), text[begin:end]))
            begin = end
    return found, text[begin:]


def _line_of(text: str, offset: int) -> int:
    """The line where the first non-blank character at or after ``offset`` is."""
    chunk = text[offset:]
    return text.count("\n", 0, offset + len(chunk) - len(chunk.lstrip())) + 1


def has_code(statement: str) -> bool:
    """True when ``statement`` holds something besides comments, blanks and ``;`` (SQLite's comments:
    ``--`` to the line end, ``/* */``). It stops at the first other character, so quoting never matters."""
    index, size = 0, len(statement)
    while index < size:
        char = statement[index]
        if statement.startswith("--", index):
            end = statement.find("\n", index)
            index = size if end < 0 else end + 1
        elif statement.startswith("/*", index):
            end = statement.find("*/", index + 2)
            index = size if end < 0 else end + 2
        elif char.isspace() or char == ";":
            index += 1
        else:
            return True
    return False


def _authorize(action: int, arg1: str | None, *_: object) -> int:
    if action in _DENIED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg1 is not None and arg1.lower().endswith("_directory"):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _connect(deadline: float) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA max_page_count = {MAX_PAGES}")
    connection.execute("PRAGMA temp_store = MEMORY")
    connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    connection.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_LENGTH)
    connection.set_authorizer(_authorize)
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    return connection


def check_sql(text: str) -> Check:
    """Run every statement of ``text``; the first failure (with its statement number and line) is the problem."""
    found, rest = statements(text)
    if rest.strip():
        completed = rest + "\n;"  # a last statement without its ';' (a trailing `--` comment cannot swallow it)
        if not sqlite3.complete_statement(completed):
            line = _line_of(text, len(text) - len(rest))
            return _fail(
                f"the statement starting on line {line} is incomplete (an unterminated string, comment or trigger body)"
            )
        found.append((_line_of(text, len(text) - len(rest)), completed))
    if not any(has_code(statement) for _, statement in found):
        return _fail("no SQL statement found (only comments and semicolons)")
    if len(found) > MAX_STATEMENTS:
        return _fail(f"{len(found)} statements, over the SQL check's limit of {MAX_STATEMENTS}")
    connection = _connect(time.monotonic() + SECONDS)
    try:
        for number, (line, statement) in enumerate(found, 1):
            problem = _run(connection, statement)
            if problem is not None:
                return _fail(f"statement {number} (line {line}): {problem}")
    finally:
        if connection.in_transaction:
            connection.rollback()
        connection.close()
    return Check(problems=[], validators=[VALIDATOR], data={"statements": len(found)})


def _run(connection: sqlite3.Connection, statement: str) -> str | None:
    try:
        cursor = connection.execute(statement)
        for _ in zip(range(MAX_ROWS), cursor, strict=False):  # stepped one row at a time, each dropped
            pass
    except sqlite3.Warning as exc:  # e.g. "You can only execute one statement at a time"
        return str(exc)
    except sqlite3.Error as exc:
        return _explain(str(exc))
    return None


BOUNDS = (
    f"did more than the SQL check allows ({SECONDS:g} s of work or {MAX_PAGES * 4 // 1024} MiB of data in its "
    "empty database): a runaway or oversized statement"
)
"""One message for either bound: which one a runaway statement meets first depends on the machine's load, and
a 2026-07-28 call runs its checks again in every round, where a different problem text would be a new question
for the client's model (:mod:`ggen_mcp_core.client_requests` answers only questions asked before)."""


def _explain(message: str) -> str:
    if message in ("interrupted", "database or disk is full"):
        return BOUNDS
    if message in ("not authorized", "authorization denied"):
        return "not authorized: the SQL check reaches no file (ATTACH, VACUUM INTO and *_directory pragmas are refused)"
    if "syntax error" in message or "unrecognized token" in message:
        return message + DIALECT_NOTE
    if message.startswith(("no such table", "no such column")):
        return message + EMPTY_NOTE
    return message


def _fail(problem: str) -> Check:
    return Check(problems=[problem], validators=[VALIDATOR])
