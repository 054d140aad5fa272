"""Every bundled pack is generated and every file generated is proven: a pack (or a new template) whose
output no toolchain proof covers fails here instead of passing unproven."""

from __future__ import annotations

from generate import ONTOLOGIES, Generated, bundled_pack_ids

# File suffix -> the proof that builds it (proof/test_<name>.py); .sql per dialect.
PROVEN = {".py": "python", ".ts": "typescript", ".rs": "rust", ".sql": "postgres"}
SQL_DIALECTS = {"sqlite", "postgres"}


def test_every_bundled_pack_generates_from_both_ontologies(generated: list[Generated]) -> None:
    packs = bundled_pack_ids()
    assert len(packs) >= 4, packs
    for pack in packs:
        for ontology in ONTOLOGIES:
            assert any(g.pack == pack and g.ontology == ontology for g in generated), (pack, ontology)


def test_every_generated_file_has_a_toolchain_proof(generated: list[Generated]) -> None:
    unproven = [g for g in generated if g.path.suffix not in PROVEN]
    assert not unproven, f"no toolchain proof for {[(g.template, g.path.name) for g in unproven]}: add one to proof/"
    for g in generated:
        assert g.path.is_file() and g.path.stat().st_size > 0, g
        if g.path.suffix == ".sql":
            assert g.dialect in SQL_DIALECTS, g
