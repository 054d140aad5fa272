"""The pack hash, deterministic archives, safe archive reading, manifests and index parsing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import hostile
import pytest
from conftest import write_pack
from ggen_market.archive import extract_archive, scan_archive, verify_archive, write_archive
from ggen_market.builder import build_registry
from ggen_market.errors import ArchiveRejected, IntegrityError, MarketError
from ggen_market.index import parse_index
from ggen_market.manifest import parse_manifest, read_manifest, template_files, template_refs
from ggen_market.packhash import Limits, hash_directory

LIMITS = Limits(max_members=50, max_unpacked_bytes=1_000_000, max_file_bytes=500_000)


def test_pack_hash_matches_the_documented_shell_pipeline(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, "io.example.hash", templates={"a.tmpl": "A", "sub/b.tmpl": "B", "Z.tmpl": "z"})
    (pack / ".git").mkdir()
    (pack / ".git" / "HEAD").write_text("ignored")
    shell = (
        "find . -type f ! -path './.git/*' -printf '%P\\n' | LC_ALL=C sort "
        '| while IFS= read -r f; do sha256sum "$f"; done | sha256sum'
    )
    expected = subprocess.run(["bash", "-c", shell], cwd=pack, capture_output=True, text=True, check=True)
    assert hash_directory(pack) == expected.stdout.split()[0]


def test_pack_hash_ignores_modes_and_times_but_not_names(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, "io.example.hash")
    before = hash_directory(pack)
    os.utime(pack / "gpack.toml", (1, 1))
    os.chmod(pack / "gpack.toml", 0o600)
    assert hash_directory(pack) == before
    (pack / "templates" / "hello.tmpl").rename(pack / "templates" / "renamed.tmpl")
    assert hash_directory(pack) != before


def test_directory_with_a_symlink_is_refused(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, "io.example.link")
    (pack / "templates" / "evil").symlink_to("/etc/passwd")
    with pytest.raises(ArchiveRejected, match="symbolic link"):
        hash_directory(pack)


def test_archives_are_deterministic_and_verified(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, "io.example.det", templates={"b.tmpl": "b", "a.tmpl": "a"})
    first, second = tmp_path / "1.tar.gz", tmp_path / "2.tar.gz"
    digest = write_archive(pack, first)
    os.utime(pack / "templates" / "a.tmpl", (12345, 12345))
    assert write_archive(pack, second) == digest
    assert first.read_bytes() == second.read_bytes()
    scan = verify_archive(first, digest, LIMITS)
    assert [f.path for f in scan.files] == ["gpack.toml", "templates/a.tmpl", "templates/b.tmpl"]
    with pytest.raises(IntegrityError, match="pack hash mismatch"):
        verify_archive(first, "0" * 64, LIMITS)
    destination = tmp_path / "out"
    extract_archive(first, destination, scan, LIMITS)
    assert hash_directory(destination) == digest
    assert oct((destination / "gpack.toml").stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize("kind", sorted(hostile.HOSTILE))
def test_hostile_members_are_refused_before_anything_is_written(tmp_path: Path, kind: str) -> None:
    archive = hostile.build(tmp_path / "evil.tar.gz", hostile.HOSTILE[kind])
    with pytest.raises(ArchiveRejected) as caught:
        scan_archive(archive, LIMITS)
    message = str(caught.value)
    assert any(word in message for word in ("link", "device", "FIFO", "absolute", "'..'", "two members")), message
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert not Path("/tmp/ggen-market-absolute.txt").exists()


def test_member_count_and_expansion_caps(tmp_path: Path) -> None:
    many = hostile.build(tmp_path / "many.tar.gz", hostile.many_members(60))
    with pytest.raises(ArchiveRejected, match="more than 50 members"):
        scan_archive(many, LIMITS)
    bomb = hostile.build(tmp_path / "bomb.tar.gz", hostile.huge_member(5_000_000))
    assert bomb.stat().st_size < 20_000
    with pytest.raises(ArchiveRejected, match="bytes"):
        scan_archive(bomb, LIMITS)
    with pytest.raises(ArchiveRejected, match="expands to more than"):
        scan_archive(bomb, Limits(max_members=50, max_unpacked_bytes=1_000_000, max_file_bytes=10_000_000))


def test_corrupt_and_truncated_archives(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"definitely not gzip")
    with pytest.raises(ArchiveRejected, match="corrupt"):
        scan_archive(garbage, LIMITS)
    pack = write_pack(tmp_path, "io.example.cut", templates={"big.tmpl": os.urandom(20000).hex()})
    whole = tmp_path / "whole.tar.gz"
    write_archive(pack, whole)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ArchiveRejected):
        scan_archive(cut, LIMITS)
    no_manifest = hostile.build(tmp_path / "nomanifest.tar.gz", lambda tar: None, manifest=b"")
    # a manifest exists but is empty: scanning passes, parsing fails
    assert scan_archive(no_manifest, LIMITS).files[0].path == "gpack.toml"


def test_manifest_parsing(tmp_path: Path) -> None:
    manifest = parse_manifest(
        '[gpack]\nid = "io.a"\nname = "A"\nversion = "1.2.0"\n[dependencies]\n"io.b" = "1.0"\n'
        '[templates]\npatterns = ["t/*.tmpl", "../../etc/*"]\n'
    )
    assert manifest.dependency_list() == ["io.b@1.0"]
    for bad, reason in [
        ('[gpack]\nid = "../x"\nname = "A"\nversion = "1.0.0"\n', "gpack.id"),
        ('[gpack]\nid = "io.a"\nname = "A"\nversion = "1.0"\n', "gpack.version"),
        ('[gpack]\nid = "io.a"\nname = "A"\nversion = "1.0.0"\n[dependencies]\n"io.b" = "nope"\n', "dependencies"),
        ("not toml [", "not valid TOML"),
    ]:
        with pytest.raises(ArchiveRejected, match=reason.replace(".", r"\.")):
            parse_manifest(bad)
    pack = tmp_path / "p"
    (pack / "t").mkdir(parents=True)
    (pack / "gpack.toml").write_text(
        '[gpack]\nid = "io.a"\nname = "A"\nversion = "1.0.0"\n[templates]\npatterns = ["t/*.tmpl", "../*"]\n'
    )
    (pack / "t" / "x.tmpl").write_text("x")
    (pack / "t" / "link.tmpl").symlink_to(pack / "t" / "x.tmpl")
    files = template_files(pack, read_manifest(pack))
    assert files == ["t/x.tmpl"]
    assert template_refs("io.a", ["templates/a/b.tmpl", "t/x.tmpl"]) == ["io.a:a/b.tmpl", "io.a:t/x.tmpl"]


def test_build_registry_output(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_pack(src, "io.example.a", "1.0.0")
    write_pack(src, "io.example.a", "1.1.0-rc.1")
    write_pack(src, "io.example.b", "0.3.0", dependencies={"io.example.a": "^1.0"})
    index, built = build_registry(src, tmp_path / "out", updated="2026-01-01T00:00:00Z")
    assert [(b.id, b.version) for b in built] == [
        ("io.example.a", "1.0.0"),
        ("io.example.a", "1.1.0-rc.1"),
        ("io.example.b", "0.3.0"),
    ]
    assert index["packs"]["io.example.a"]["latest_version"] == "1.0.0"  # pre-releases are not "latest"
    entry = index["packs"]["io.example.b"]["versions"]["0.3.0"]
    assert entry["dependencies"] == {"io.example.a": "^1.0"} and entry["url"].startswith("archives/")
    assert entry["size"] == (tmp_path / "out" / entry["url"]).stat().st_size
    parsed = parse_index((tmp_path / "out" / "index.json").read_bytes())
    assert set(parsed.packs) == {"io.example.a", "io.example.b"} and not parsed.invalid
    first = (tmp_path / "out" / "index.json").read_bytes()
    build_registry(src, tmp_path / "out", updated="2026-01-01T00:00:00Z")
    assert (tmp_path / "out" / "index.json").read_bytes() == first
    with pytest.raises(MarketError, match="no pack sources"):
        build_registry(tmp_path / "out" / "archives", tmp_path / "x")


def test_index_keeps_good_packs_and_explains_bad_ones() -> None:
    good = {
        "id": "io.ok",
        "name": "Ok",
        "latest_version": "1.0.0",
        "versions": {"1.0.0": {"version": "1.0.0", "url": "a.tar.gz", "size": 1, "sha256": "a" * 64}},
    }
    raw = json.dumps(
        {
            "updated": "x",
            "packs": {
                "io.ok": good,
                "io.bad-sha": {
                    **good,
                    "id": "io.bad-sha",
                    "versions": {"1.0.0": {**good["versions"]["1.0.0"], "sha256": "zz"}},
                },
                "../evil": {**good, "id": "../evil"},
                "io.mismatch": good,
                "io.no-size": {
                    **good,
                    "id": "io.no-size",
                    "versions": {"1.0.0": {"version": "1.0.0", "url": "a", "sha256": "a" * 64}},
                },
                "io.short-rev": {
                    **good,
                    "id": "io.short-rev",
                    "versions": {
                        "1.0.0": {
                            "version": "1.0.0",
                            "git_url": "https://h/r.git",
                            "git_rev": "abc",
                            "sha256": "a" * 64,
                        }
                    },
                },
                "io.no-latest": {**good, "id": "io.no-latest", "latest_version": "2.0.0"},
            },
        }
    ).encode()
    index = parse_index(raw)
    assert set(index.packs) == {"io.ok"}
    assert set(index.invalid) == {"io.bad-sha", "../evil", "io.mismatch", "io.no-size", "io.short-rev", "io.no-latest"}
    assert "sha256" in index.invalid["io.bad-sha"] and "git_rev" in index.invalid["io.short-rev"]
    for broken in (b"[]", b"{", b'{"packs": []}'):
        with pytest.raises(MarketError):
            parse_index(broken)
