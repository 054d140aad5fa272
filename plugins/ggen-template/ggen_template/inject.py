"""Injection: adding a rendered snippet to an existing file instead of replacing it (``inject: true``).

Placement follows ggen's precedence: ``prepend`` > ``append`` > ``before`` > ``after`` > ``at_line`` >
append. ``before``/``after`` anchor on the first line that *contains* the text (not a regex); an anchor
that is not found, or an ``at_line`` past the end, falls back to appending, with a warning. ``skip_if``
(a regex searched in the file) and ``idempotent`` (the snippet is already there) skip the injection.
The snippet takes the file's line endings (LF, CRLF or CR).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ggen_template.frontmatter import FrontMatter


@dataclass
class Injection:
    """The file's new content, or why nothing changes, plus warnings."""

    content: str | None
    skip_reason: str | None = None
    warnings: list[str] = field(default_factory=list)


def newline_of(text: str) -> str:
    """The line ending a file uses: CRLF, CR or LF (LF for a file without any)."""
    if "\r\n" in text:
        return "\r\n"
    if "\r" in text:
        return "\r"
    return "\n"


def inject(existing: str, snippet: str, fm: FrontMatter, *, path: str) -> Injection:
    """Place ``snippet`` into ``existing`` as the front matter says."""
    if fm.skip_if is not None and re.search(fm.skip_if, existing, re.MULTILINE):
        return Injection(None, f"skip_if {fm.skip_if!r} matched")
    newline = newline_of(existing)
    text = re.sub(r"\r\n|\r|\n", lambda _: newline, snippet)
    if not text.strip():
        return Injection(None, "the rendered snippet is empty")
    if fm.idempotent and text in existing:
        return Injection(None, "already present (idempotent)")
    if not text.endswith(newline):
        text += newline
    return _place(existing, text, newline, fm, path)


def _place(existing: str, text: str, newline: str, fm: FrontMatter, path: str) -> Injection:
    mode = fm.injection_mode()
    if mode == "prepend":
        return Injection(text + existing)
    if mode == "append":
        return Injection(_append(existing, text, newline))
    lines = existing.splitlines(keepends=True)
    if mode in ("before", "after"):
        anchor = fm.before if mode == "before" else fm.after
        for index, line in enumerate(lines):
            if anchor is not None and anchor in line:
                at = index if mode == "before" else index + 1
                if mode == "after" and not line.endswith(("\n", "\r")):
                    lines[index] = line + newline
                return Injection("".join([*lines[:at], text, *lines[at:]]))
        warning = f"{path}: {mode} anchor {anchor!r} not found; appended at the end"
        return Injection(_append(existing, text, newline), warnings=[warning])
    line_number = fm.at_line or 1
    if line_number > len(lines) + 1:
        warning = f"{path}: at_line {line_number} is past the end ({len(lines)} lines); appended at the end"
        return Injection(_append(existing, text, newline), warnings=[warning])
    at = line_number - 1
    if at == len(lines):
        return Injection(_append(existing, text, newline))
    return Injection("".join([*lines[:at], text, *lines[at:]]))


def _append(existing: str, text: str, newline: str) -> str:
    if existing and not existing.endswith(("\n", "\r")):
        existing += newline
    return existing + text
