"""Secret settings: ``<key>_file`` for every ``SecretStr`` field, the environment dropped after start-up, and the
server process made non-dumpable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr

from ggen_mcp_core.config import ConfigError, Settings, reference_markdown
from ggen_mcp_core.secret_settings import MAX_SECRET_BYTES, drop_secret_environment, secret_fields
from ggen_mcp_core.testing import environment


class Vault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr | None = None
    password: SecretStr | None = None
    url: str = "https://vault.example"


def test_secret_fields_are_found_by_type() -> None:
    assert secret_fields(Vault) == ["token", "password"]


def test_file_settings_read_once_and_validated(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("abc\r\n")
    with environment(GGEN_MCP_VAULT__TOKEN_FILE=str(secret), GGEN_MCP_VAULT__URL="https://v"):
        settings = Settings.load()
    vault = settings.section("vault", Vault)
    assert vault.token is not None and vault.token.get_secret_value() == "abc"
    secret.unlink()  # read once: later validations do not go back to the file
    assert settings.section("vault", Vault).token == vault.token
    big = tmp_path / "big"
    big.write_bytes(b"x" * (MAX_SECRET_BYTES + 1))
    too_big = pytest.raises(ConfigError, match=rf"vault\.password_file: .* larger than {MAX_SECRET_BYTES} bytes")
    with environment(GGEN_MCP_VAULT__PASSWORD_FILE=str(big)), too_big:
        Settings.load().section("vault", Vault)
    not_secret = pytest.raises(ConfigError, match="url_file")  # not a secret field: no file indirection
    with environment(GGEN_MCP_VAULT__URL_FILE=str(big)), not_secret:
        Settings.load().section("vault", Vault)


def test_secret_variables_are_dropped() -> None:
    with environment(GGEN_MCP_VAULT__TOKEN="abc", GGEN_MCP_VAULT__URL="https://v"):
        assert drop_secret_environment({"vault": Vault}) == ["GGEN_MCP_VAULT__TOKEN"]
        assert "GGEN_MCP_VAULT__TOKEN" not in os.environ and os.environ["GGEN_MCP_VAULT__URL"] == "https://v"


def test_reference_lists_the_file_form() -> None:
    table = reference_markdown({"vault": Vault})
    assert "| `vault.token_file` | (unset) | `GGEN_MCP_VAULT__TOKEN_FILE` |" in table
    assert "vault.url_file" not in table


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")
def test_make_non_dumpable_takes_effect() -> None:
    code = (
        "import ctypes; from ggen_mcp_core.hardening import make_non_dumpable; "
        "h = make_non_dumpable(); print(h.applied, ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "0"]
