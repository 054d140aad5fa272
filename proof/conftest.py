"""Fixtures of the toolchain proofs: the generated files (once per run) and the toolchains proof/run.sh found.

A toolchain that is missing fails the test that needs it, with what to install: `make proof` proves, it never
skips.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from generate import Generated, generate

PROOF = Path(__file__).parent


def toolchain(variable: str) -> Path:
    """The path proof/run.sh exported in ``variable``; fails (never skips) when it is not there."""
    value = os.environ.get(variable)
    if not value or not Path(value).exists():
        pytest.fail(f"{variable} is not set to an existing path: run the proof with `make proof` (proof/run.sh)")
    return Path(value)


@pytest.fixture(scope="session")
def cache() -> Path:
    """The ignored folder toolchain builds are cached in between runs (.cache/proof)."""
    path = Path(os.environ.get("PROOF_CACHE") or PROOF.parent / ".cache" / "proof")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Generated]:
    """Every file the real server generated from every bundled pack (see generate.py)."""
    return generate(tmp_path_factory.mktemp("workspace"))


def pick(generated: list[Generated], suffix: str, ontology: str, dialect: str | None = None) -> Path:
    """The one generated file with this suffix from this ontology (and SQL dialect)."""
    found = [
        g.path
        for g in generated
        if g.path.suffix == suffix and g.ontology == ontology and (dialect is None or g.dialect == dialect)
    ]
    assert len(found) == 1, f"expected one {suffix} file from the {ontology} ontology, got {found}"
    return found[0]


def run(command: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a toolchain command, output captured, 10 minutes at most."""
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


class Postgres:
    """A PostgreSQL server of our own: a fresh cluster in a temporary directory, listening only on a unix
    socket there (no TCP), stopped and deleted at the end."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir, self.root = bin_dir, root
        self.data, self.socket = root / "data", root / "socket"
        # PostgreSQL refuses to run as root: when we are root, the cluster belongs to the `postgres` user.
        self.user = _unprivileged_user() if os.geteuid() == 0 else None

    def start(self) -> None:
        self.socket.mkdir()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in (self.root, self.socket):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._as_owner([str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "proof", "-A", "trust", "--no-sync"])
        options = f"-k {self.socket} -h '' -F"
        log = str(self.root / "log")
        self._as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start"])

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])

    def psql(self, database: str, sql: str) -> subprocess.CompletedProcess[str]:
        """Run ``sql`` with psql (stop at the first error); the caller checks the return code."""
        command = [str(self.bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket)]
        return run([*command, "-U", "proof", "-d", database, "-c", sql], self.root)

    def create_database(self, name: str) -> None:
        done = self.psql("postgres", f'CREATE DATABASE "{name}"')
        assert done.returncode == 0, done.stderr

    def _as_owner(self, command: list[str]) -> None:
        done = run(command, self.root, user=self.user) if self.user else run(command, self.root)
        log = self.root / "log"
        assert done.returncode == 0, done.stdout + done.stderr + (log.read_text() if log.exists() else "")


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise AssertionError("running as root and neither a `postgres` nor a `nobody` user exists to run PostgreSQL")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A running PostgreSQL of the Debian package, on a private socket."""
    bin_dir = toolchain("PROOF_PG_BIN")
    root = Path(tempfile.mkdtemp(prefix="ggen-proof-pg-"))
    server = Postgres(bin_dir, root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
