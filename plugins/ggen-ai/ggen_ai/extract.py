"""The artifact inside a model's answer: the first fenced code block, else the whole text."""

from __future__ import annotations

import re

FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)


def artifact(answer: str) -> str:
    """The code a model answered with (models wrap it in Markdown fences more often than not)."""
    match = FENCE.search(answer)
    return (match.group(1) if match else answer).strip() + "\n"
