"""A pack's health score: 0-100 from what a careful user would check before installing (``market_info``)."""

from __future__ import annotations

from datetime import UTC, datetime

from ggen_market.index import PackEntry


def health_of(pack: PackEntry, now: datetime | None = None) -> tuple[int, list[str]]:
    """The score and one reason per check (``+<weight> <what passed>`` or ``+0 <what failed>``)."""
    now = now or datetime.now(UTC)
    latest = pack.versions[pack.latest_version]
    age = _age_days(pack.updated, now)
    checks = [
        (15, bool(pack.license), f"license {pack.license}", "no license declared"),
        (10, len(pack.description) >= 20, "has a description", "description missing or very short"),
        (10, bool(pack.repository or pack.homepage), "links its source or homepage", "no repository or homepage"),
        (
            15,
            bool(latest.templates),
            f"{len(latest.templates)} template(s) in the latest version",
            "the index lists no templates for the latest version",
        ),
        (
            10,
            not latest.yanked and not latest.parsed.is_prerelease,
            "latest version is a stable release",
            "latest version is a pre-release or yanked",
        ),
        (
            15,
            all(v.size is not None or v.git_rev for v in pack.versions.values()),
            "every version pins its size or commit",
            "some versions pin neither size nor commit",
        ),
        (
            15,
            age is not None and age <= 365,
            "updated within the last year",
            "not updated for over a year (or no date)",
        ),
        (10, (pack.downloads or 0) > 0, f"{pack.downloads} downloads", "no recorded downloads"),
    ]
    score = 0
    reasons = []
    for weight, passed, good, bad in checks:
        score += weight if passed else 0
        reasons.append(f"+{weight} {good}" if passed else f"+0 {bad}")
    return score, reasons


def _age_days(stamp: str | None, now: datetime) -> float | None:
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (now - when).total_seconds() / 86400
