"""The ``[ai]`` settings section: budgets of the validation loops and the optional server-side model.

Environment: ``GGEN_MCP_AI__MODEL=gpt-4o-mini``, ``GGEN_MCP_AI__API_KEY_FILE=/run/secrets/openai``...
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SECTION = "ai"


class AiSettings(BaseModel):
    """Operator settings of the AI pack. The server-side model is off until ``model`` names one."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(
        None,
        max_length=200,
        description="Server-side model id of the `llm` library (its plugins: OpenAI, Anthropic, Ollama, local "
        "models), used when the client cannot sample or a call passes provider=server. Off when empty.",
    )
    api_key: SecretStr | None = Field(
        None, description="Key for the server-side model (or api_key_file); never logged nor returned."
    )
    max_iterations: int = Field(
        3, ge=1, le=10, description="Model rounds of the ai_generate_* and ai_extend_graph loops (1-10)."
    )
    client_rounds: int = Field(
        10,
        ge=1,
        le=100,
        description="Most model rounds one call asks of a 2026-07-28 client (each is one client round trip; the "
        "SDK client's input_required_max_rounds is 10 by default): the loop stops there with a result "
        "(stopped=client_rounds) instead of being cut off by the client.",
    )
    max_tokens: int = Field(4000, ge=64, le=32000, description="Most tokens one model answer may use.")
    token_budget: int = Field(
        40000, ge=256, le=1_000_000, description="Most tokens (asked for) all rounds of one AI tool call may use."
    )
    wall_clock: float = Field(
        300.0, gt=0, le=3600, description="Seconds one AI tool call's validation loop may take, all rounds."
    )
    max_answer_chars: int = Field(
        262144, ge=1024, le=4 * 1024 * 1024, description="Longest model answer accepted (characters)."
    )
    timeout: float = Field(
        600.0, gt=0, le=3600, description="Seconds an AI tool call may run in one request (waits included)."
    )
