"""Secret settings kept out of the environment: ``<key>_file`` names a file holding the value, and the
variables that did carry a secret are dropped from ``os.environ`` once the server has read them.

A settings field typed ``SecretStr`` (``market.registry_token``, ``graph.auth_header``, ...) can be given as
``<key>_file`` instead (``GGEN_MCP_MARKET__REGISTRY_TOKEN_FILE=/run/secrets/registry-token``, or
``registry_token_file = "..."`` in the TOML section): the file's text, minus one trailing newline, becomes the
value, so the secret never enters any process environment. A secret passed directly in the environment is
dropped from ``os.environ`` after start-up, so processes the server starts later (store workers, git, hooks)
do not inherit it; the server's own ``/proc/PID/environ`` still shows the original block, which is why
``ggen-mcp serve`` also makes itself non-dumpable (:mod:`ggen_mcp_core.hardening`).
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

FILE_SUFFIX = "_file"
MAX_SECRET_BYTES = 64 * 1024
ENV_PREFIX = "GGEN_MCP_"


class SecretFileError(ValueError):
    """A ``<key>_file`` setting that cannot be used; the message names the setting and the file."""


def secret_fields(model: type[BaseModel]) -> list[str]:
    """Names of ``model``'s fields typed ``SecretStr`` (or ``SecretStr | None``)."""
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if annotation is SecretStr or SecretStr in typing.get_args(annotation):
            names.append(name)
    return names


def resolve_secret_files(raw: dict[str, Any], model: type[BaseModel], section: str) -> bool:
    """Replace each ``<secret>_file`` key of ``raw`` by the file's text under ``<secret>``; True if any was.

    :raises SecretFileError: both forms given, or the file unreadable, not UTF-8 or over 64 KiB.
    """
    changed = False
    for name in secret_fields(model):
        key = name + FILE_SUFFIX
        if key not in raw or key in model.model_fields:
            continue
        if raw.get(name) is not None:
            raise SecretFileError(f"{section}.{name}: set {section}.{name} or {section}.{key}, not both")
        raw[name] = read_secret_file(Path(str(raw.pop(key))), f"{section}.{key}")
        changed = True
    return changed


def read_secret_file(path: Path, setting: str) -> str:
    """The secret in ``path`` without its trailing newline."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise SecretFileError(f"{setting}: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_SECRET_BYTES:
        raise SecretFileError(f"{setting}: {path} is larger than {MAX_SECRET_BYTES} bytes; is it the right file?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretFileError(f"{setting}: {path} is not UTF-8 text") from None
    return text.removesuffix("\n").removesuffix("\r")


def secret_variables(sections: Mapping[str, type[BaseModel]]) -> list[str]:
    """The environment names that carry a secret setting of one of ``sections``."""
    return [
        f"{ENV_PREFIX}{section.upper()}__{name.upper()}"
        for section, model in sorted(sections.items())
        for name in secret_fields(model)
    ]


def drop_secret_environment(sections: Mapping[str, type[BaseModel]]) -> list[str]:
    """Remove the secret-carrying variables from ``os.environ`` (children started later do not inherit them)."""
    dropped = [name for name in secret_variables(sections) if name in os.environ]
    for name in dropped:
        del os.environ[name]
    return dropped
