"""The Rust pack's structs compile with the real serde and serde_json, built OFFLINE from Debian's packaged
crates (a cargo source replacement to /usr/share/cargo/registry), warnings denied, and a program using them
runs a JSON round trip. Builds are cached in .cache/proof/cargo between runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import PROOF, pick, run, toolchain
from generate import Generated

MANIFEST = """[package]
name = "ggen-proof-{ontology}"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
"""
SOURCE_REPLACEMENT = """[source.crates-io]
replace-with = "debian-packaged-crates"

[source.debian-packaged-crates]
directory = "{registry}"

[net]
offline = true
"""


@pytest.mark.parametrize("ontology", ["example", "shop"])
def test_rust_structs_build_with_serde_and_round_trip_json(
    generated: list[Generated], cache: Path, ontology: str
) -> None:
    cargo = toolchain("PROOF_CARGO")
    registry = toolchain("PROOF_CARGO_REGISTRY")
    project = cache / "rust" / ontology
    (project / "src").mkdir(parents=True, exist_ok=True)
    (project / ".cargo").mkdir(exist_ok=True)
    (project / "Cargo.toml").write_text(MANIFEST.format(ontology=ontology))
    (project / ".cargo" / "config.toml").write_text(SOURCE_REPLACEMENT.format(registry=registry))
    shutil.copy(pick(generated, ".rs", ontology), project / "src" / "models.rs")
    shutil.copy(PROOF / "usage" / f"{ontology}.rs", project / "src" / "main.rs")
    env = {
        **os.environ,
        "CARGO_HOME": str(cache / "cargo-home"),
        "CARGO_TARGET_DIR": str(cache / "cargo"),
        "RUSTFLAGS": "-D warnings",
    }
    done = run([str(cargo), "run", "--offline", "--quiet"], project, env=env)
    assert done.returncode == 0, f"the generated models.rs does not build or run:\n{done.stdout}{done.stderr}"
    assert done.stdout.strip(), done.stderr
    lock = (project / "Cargo.lock").read_text()
    assert 'name = "serde_json"' in lock and 'name = "serde_derive"' in lock, lock
