"""``CommaList``: the one type of every list-of-strings setting, core and packs alike.

An operator writes it as a TOML list in the config file, or in one environment variable as a JSON list
(``GGEN_MCP_HOOKS__ALLOWED_COMMANDS='["ruff", "pytest"]'``, the pydantic-settings convention) or a comma list
(``ruff, pytest``). A value starting with ``[`` is JSON and must parse: it is never taken as one item.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_settings import NoDecode


def comma_or_json_list(value: Any) -> Any:
    """``"a, b"`` -> ``["a", "b"]``; ``'["a", "b"]'`` -> ``["a", "b"]``; anything else as it is."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a JSON list ({exc.msg} at character {exc.pos})") from None
    return [part.strip() for part in text.split(",") if part.strip()]


CommaList = Annotated[list[str], NoDecode, BeforeValidator(comma_or_json_list)]
