"""ai_list_providers: which models this call could use: the client's (sampling, per session) and the
operator's server-side `llm` model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ggen_ai.models import client_can_sample
from ggen_ai.settings import AiSettings
from ggen_mcp_core import ToolContext, ToolSpec


class ProvidersInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provider(BaseModel):
    name: str = Field(description="Pass as `provider`.")
    type: Literal["client", "server"] = Field(description="client: MCP sampling; server: an `llm` model.")
    status: Literal["available", "unavailable"] = Field(description="Usable by this session now.")
    detail: str = Field(description="Why (protocol, model, what is missing).")


class ProvidersOutput(BaseModel):
    providers: list[Provider] = Field(description="Client sampling first, then the server-side model.")
    total_providers: int = Field(description="Providers listed.")
    available: int = Field(description="Providers usable now.")


def _server(settings: AiSettings) -> Provider:
    if not settings.model:
        return Provider(
            name="server", type="server", status="unavailable", detail="no server-side model: ai.model is not set"
        )
    import llm

    try:
        model = llm.get_model(settings.model)
    except llm.UnknownModelError:
        return Provider(
            name=settings.model,
            type="server",
            status="unavailable",
            detail="ai.model names a model no installed `llm` plugin provides",
        )
    needs_key = bool(getattr(model, "needs_key", None))
    if needs_key and settings.api_key is None:
        return Provider(
            name=settings.model,
            type="server",
            status="unavailable",
            detail="the model needs a key: ai.api_key or ai.api_key_file is not set",
        )
    key = "key configured" if needs_key else "no key needed"
    return Provider(name=settings.model, type="server", status="available", detail=f"llm model ({key})")


async def ai_list_providers(args: ProvidersInput, ctx: ToolContext[AiSettings]) -> ProvidersOutput:
    """The client's sampling (this session) and the configured server-side model."""
    era = getattr(ctx.session, "protocol_version", None) or "no session"
    client = Provider(
        name="client",
        type="client",
        status="available" if client_can_sample(ctx) else "unavailable",
        detail=f"MCP sampling, protocol {era}"
        + ("" if client_can_sample(ctx) else ": this client did not declare the sampling capability"),
    )
    server = await ctx.run_sync(_server, ctx.settings)
    providers = [client, server]
    return ProvidersOutput(
        providers=providers, total_providers=len(providers), available=sum(p.status == "available" for p in providers)
    )


def spec(settings: AiSettings) -> ToolSpec:
    """ai_list_providers's registration."""
    return ToolSpec(
        name="ai_list_providers",
        description="Models for `provider`: client sampling, server model.",
        input_model=ProvidersInput,
        output_model=ProvidersOutput,
        handler=ai_list_providers,
        read_only=True,
    )
