"""MANUAL regions: parts of a generated file the user edits, kept when the file is generated again.

A region is the lines between a line containing ``MANUAL START`` and the next line containing
``END MANUAL``, in whatever comment syntax the file uses::

    # MANUAL START imports
    import mything
    # END MANUAL

Text after ``MANUAL START`` (without comment closers such as ``-->`` or ``*/``) names the region;
unnamed regions are matched by their order. When a file is generated again, each region of the new
content takes the lines the same region has in the file on disk; markers stay as the template wrote them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ggen_template.errors import TemplateError

START = "MANUAL START"
END = "END MANUAL"
_CLOSERS = re.compile(r"(\*/|-->|#\}|%\}|\}\}|\*\)|-\}|\]\])\s*$")


@dataclass(frozen=True)
class Region:
    """A region: its key, the indexes of its marker lines, and the lines between them."""

    key: str
    start: int
    end: int
    body: tuple[str, ...]


def region_name(marker_line: str) -> str:
    """The name written after ``MANUAL START`` on a marker line (``""`` when there is none)."""
    rest = marker_line.split(START, 1)[1]
    rest = _CLOSERS.sub("", rest.rstrip("\r\n"))
    return rest.strip(" \t:=-#*/;!>").strip()


def find_regions(text: str, *, where: str) -> list[Region]:
    """The regions of ``text``; an unclosed, nested or stray marker raises :class:`TemplateError`."""
    lines = text.splitlines(keepends=True)
    regions: list[Region] = []
    unnamed = 0
    open_at: int | None = None
    for index, line in enumerate(lines):
        if START in line:
            if open_at is not None:
                raise TemplateError(
                    f"MANUAL START on line {index + 1} is inside the region opened on line {open_at + 1}",
                    template=where,
                )
            open_at = index
        elif END in line:
            if open_at is None:
                raise TemplateError(f"END MANUAL on line {index + 1} has no MANUAL START before it", template=where)
            name = region_name(lines[open_at])
            if not name:
                name, unnamed = f"#{unnamed}", unnamed + 1
            regions.append(Region(name, open_at, index, tuple(lines[open_at + 1 : index])))
            open_at = None
    if open_at is not None:
        raise TemplateError(f"MANUAL START on line {open_at + 1} is never closed by END MANUAL", template=where)
    keys = [r.key for r in regions]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise TemplateError(f"MANUAL region names are used twice: {', '.join(duplicates)}", template=where)
    return regions


def merge_regions(new_text: str, old_text: str, *, new_where: str, old_where: str) -> tuple[str, list[str]]:
    """``new_text`` with each region's lines taken from ``old_text``; warnings name dropped edits."""
    if START not in old_text and END not in old_text:
        return new_text, []
    old = {r.key: r for r in find_regions(old_text, where=old_where)}
    new = find_regions(new_text, where=new_where)
    if not old:
        return new_text, []
    lines = new_text.splitlines(keepends=True)
    merged: list[str] = []
    position = 0
    for region in new:
        merged.extend(lines[position : region.start + 1])
        kept = old.get(region.key)
        merged.extend(_line_ended(kept.body) if kept is not None else lines[region.start + 1 : region.end])
        position = region.end
    merged.extend(lines[position:])
    new_keys = {r.key for r in new}
    warnings = [
        f"{old_where}: MANUAL region {key!r} is no longer in the template; its edited lines were dropped"
        for key, region in old.items()
        if key not in new_keys and "".join(region.body).strip()
    ]
    return "".join(merged), warnings


def _line_ended(body: tuple[str, ...]) -> list[str]:
    lines = list(body)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines
