"""Semantic versions, ranges, pack ids, install specs and the relative paths a pack may hold."""

from __future__ import annotations

import pytest
from ggen_market.names import InvalidName, check_pack_id, check_relative_path, parse_spec, split_template_ref
from ggen_market.semver import VersionError, parse_range, parse_version


def test_version_order_follows_semver() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "2.0.0",
    ]
    parsed = [parse_version(v) for v in ordered]
    assert parsed == sorted(reversed(parsed))
    assert parse_version("1.0.0+build.5") == parse_version("1.0.0")
    assert str(parse_version("1.2.3-rc.1+meta")) == "1.2.3-rc.1+meta"


@pytest.mark.parametrize("text", ["1.2", "01.2.3", "1.2.3-01", "v1.2.3", "1.2.3.4", "", "x" * 300])
def test_bad_versions_are_refused(text: str) -> None:
    with pytest.raises(VersionError):
        parse_version(text)


@pytest.mark.parametrize(
    ("spec", "yes", "no"),
    [
        ("^1.2", ["1.2.0", "1.9.9"], ["1.1.9", "2.0.0", "2.0.0-rc.1", "1.3.0-beta"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0", "0.2.2"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0"]),
        ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
        (">=1.0 <2", ["1.0.0", "1.5.0"], ["0.9.0", "2.0.0"]),
        (">=1.0.0, <1.5.0", ["1.4.9"], ["1.5.0"]),
        ("1.x", ["1.0.0", "1.7.3"], ["2.0.0"]),
        ("1.2.x || 3.0.0", ["1.2.5", "3.0.0"], ["1.3.0", "3.0.1"]),
        ("*", ["0.0.1", "9.9.9"], ["1.0.0-rc.1"]),
        (">1.2", ["1.3.0"], ["1.2.9"]),
        ("<=1.2", ["1.2.9"], ["1.3.0"]),
        ("1.2.3", ["1.2.3"], ["1.2.4"]),
        (">=1.0.0-rc.1", ["1.0.0-rc.2", "1.0.0", "1.2.0"], ["1.1.0-rc.1"]),
    ],
)
def test_ranges(spec: str, yes: list[str], no: list[str]) -> None:
    rng = parse_range(spec)
    assert all(rng.matches(v) for v in yes), spec
    assert not any(rng.matches(v) for v in no), spec


def test_bare_version_is_exact_for_users_and_caret_for_manifests() -> None:
    assert parse_range("1.2.3").exact == parse_version("1.2.3")
    cargo = parse_range("1.2.3", bare="caret")
    assert cargo.matches("1.9.0") and not cargo.matches("2.0.0") and cargo.exact is None


def test_best_picks_the_highest_match() -> None:
    assert str(parse_range("^1").best(["1.0.0", "1.4.0", "2.0.0", "junk"])) == "1.4.0"
    assert parse_range("^3").best(["1.0.0"]) is None


@pytest.mark.parametrize("text", ["^", ">=", "1.2.3.4", "^x.1", "foo", "1.x.3-rc.1"])
def test_bad_ranges_are_refused(text: str) -> None:
    with pytest.raises(VersionError):
        parse_range(text)


@pytest.mark.parametrize("good", ["io.ggen.sql.ddl", "a", "A-b_c.9"])
def test_valid_pack_ids(good: str) -> None:
    assert check_pack_id(good) == good


@pytest.mark.parametrize("bad", ["", "../x", "a..b", ".hidden", "a/b", "a b", "x:y", "-x", "x" * 129, "é"])
def test_invalid_pack_ids(bad: str) -> None:
    with pytest.raises(InvalidName):
        check_pack_id(bad)


def test_install_specs() -> None:
    assert parse_spec("io.a").requirement is None
    assert parse_spec("io.a@1.2.0").requirement.exact == parse_version("1.2.0")  # type: ignore[union-attr]
    assert parse_spec("io.a", "^1.2").requirement_text == "^1.2"
    assert parse_spec("io.a@^1", "^1").requirement_text == "^1"
    for bad in ("io.a@", "../etc@1.0.0", "io.a@1.0.0"):
        with pytest.raises(InvalidName):
            parse_spec(bad, "2.0.0" if bad == "io.a@1.0.0" else None)


@pytest.mark.parametrize(
    ("path", "normal"), [("templates/a.tmpl", "templates/a.tmpl"), ("./a//b/", "a/b"), ("a/./b", "a/b")]
)
def test_relative_paths_are_normalised(path: str, normal: str) -> None:
    assert check_relative_path(path) == normal


@pytest.mark.parametrize(
    "bad", ["", "/etc/passwd", "../x", "a/../../x", "a\\b", "C:/x", "a\x00b", "a\nb", ".", "./", "a/" + "x" * 256]
)
def test_refused_relative_paths(bad: str) -> None:
    with pytest.raises(InvalidName):
        check_relative_path(bad)


def test_template_refs() -> None:
    assert split_template_ref("io.ggen.sql.ddl:schema.sql.tmpl") == ("io.ggen.sql.ddl", "schema.sql.tmpl")
    assert split_template_ref("templates/x.tmpl") is None
    assert split_template_ref("../x:y") is None
