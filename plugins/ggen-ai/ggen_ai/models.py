"""Where the model comes from: the client's own model (MCP sampling, both eras, through ``ctx.sample``) or the
operator's server-side model (the ``llm`` library, off unless ``ai.model`` names one).

``provider`` (the predecessor's argument): ``auto`` (default: the client's model when it can sample, else the
server-side model), ``client``, ``server``, or the configured server-side model's id.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import anyio

from ggen_ai.settings import AiSettings
from ggen_mcp_core import ToolContext, ToolError
from ggen_mcp_core.client_requests import ClientCapabilityMissing, Sampled

PROVIDERS = ("auto", "client", "server")
SERVER_SETTING = "ai.model (GGEN_MCP_AI__MODEL, an `llm` model id; key in ai.api_key or ai.api_key_file)"


@dataclass(frozen=True)
class ModelSource:
    """The model one call uses."""

    kind: Literal["client", "server"]
    name: str


def client_can_sample(ctx: ToolContext[Any]) -> bool:
    """The client declared the MCP sampling capability on this connection."""
    caps = getattr(ctx.session, "client_capabilities", None) if ctx.session is not None else None
    return caps is not None and caps.sampling is not None


def choose(ctx: ToolContext[AiSettings], provider: str | None) -> ModelSource:
    """The model for ``provider``, or a ToolError naming what is missing and what the operator can set."""
    settings = ctx.settings
    wanted = (provider or "auto").strip()
    server = settings.model
    if wanted in ("server", server) and wanted:
        if not server:
            raise ToolError(
                f"provider=server, but no server-side model is configured: the operator sets {SERVER_SETTING}"
            )
        return ModelSource("server", server)
    if wanted == "client" or (wanted == "auto" and (client_can_sample(ctx) or not server)):
        if not client_can_sample(ctx):
            raise ClientCapabilityMissing(
                "sampling",
                "this client did not declare the MCP 'sampling' capability, so it cannot lend the server its "
                f"model, and no server-side model is configured: use a client with sampling, or the operator "
                f"sets {SERVER_SETTING}",
            )
        return ModelSource("client", "client sampling")
    if wanted == "auto":
        return ModelSource("server", server or "")
    choices = ", ".join(PROVIDERS + ((server,) if server else ()))
    raise ToolError(
        f"unknown provider {wanted!r}: one of {choices}. Provider keys are not passed per call; a server-side "
        f"model is the operator's: {SERVER_SETTING}"
    )


async def ask(
    ctx: ToolContext[AiSettings], source: ModelSource, prompt: str, system: str, max_tokens: int, seconds: float
) -> Sampled:
    """One answer from the chosen model, within ``max_tokens`` and ``seconds``."""
    limit = ctx.settings.max_answer_chars
    if source.kind == "client":
        return await ctx.sample(
            prompt, max_tokens=max_tokens, system_prompt=system, wait_seconds=seconds, max_chars=limit, temperature=0.2
        )
    with anyio.move_on_after(seconds) as scope:
        text = await ctx.run_sync(_server_answer, ctx.settings, source.name, prompt, system, max_tokens)
    if scope.cancelled_caught:
        raise ToolError(f"the server-side model {source.name} did not answer within {seconds:g} s")
    if len(text) > limit:
        raise ToolError(f"the server-side model answered {len(text)} characters, over ai.max_answer_chars ({limit})")
    return Sampled(text=text, model=source.name)


def _server_answer(settings: AiSettings, model_id: str, prompt: str, system: str, max_tokens: int) -> str:
    import llm

    try:
        model = llm.get_model(model_id)
    except llm.UnknownModelError:
        raise ToolError(
            f"the server-side model {model_id!r} is not known to `llm` (install the `llm` plugin that provides it)"
        ) from None
    key = settings.api_key.get_secret_value() if settings.api_key is not None else None
    options: dict[str, Any] = {}
    if "max_tokens" in getattr(getattr(model, "Options", None), "model_fields", {}):
        options["max_tokens"] = max_tokens
    started = time.monotonic()
    try:
        kwargs: dict[str, Any] = {"system": system, **options}
        if key is not None and getattr(model, "needs_key", None):
            kwargs["key"] = key
        return str(model.prompt(prompt, **kwargs).text())
    except ToolError:
        raise
    except Exception as exc:
        message = str(exc)
        if key:
            message = message.replace(key, "***")
        raise ToolError(
            f"the server-side model {model_id} failed after {time.monotonic() - started:.1f} s: "
            f"{type(exc).__name__}: {message[:500]}"
        ) from None
