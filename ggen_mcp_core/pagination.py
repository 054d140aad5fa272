"""Cursor pagination of the lists a client reads (tools, resources, resource templates, prompts).

A cursor is opaque to the client: the base64url of the next item's position. Pages hold ``list_page_size``
items; the last page has no ``nextCursor``. A cursor the server did not make is an invalid-params error.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import TypeVar

import mcp_types as types
from mcp.shared.exceptions import MCPError

T = TypeVar("T")
_PREFIX = "ggen-offset:"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position a cursor points at (0 for no cursor)."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isdigit():
        raise MCPError(
            code=types.INVALID_PARAMS, message=f"invalid cursor {cursor[:64]!r}: use a nextCursor the server sent"
        )
    return int(number)


def page(items: Sequence[T], params: types.PaginatedRequestParams | None, size: int) -> tuple[list[T], str | None]:
    """The page of ``items`` the request's cursor asks for, and the cursor of the next page (None at the end)."""
    start = decode_cursor(params.cursor if params else None)
    end = start + size
    return list(items[start:end]), encode_cursor(end) if end < len(items) else None
