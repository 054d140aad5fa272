"""Registers a tool whose handler is a plain ``def``: registration must refuse it (it would fail every call)."""

from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core import ToolSpec, hookimpl

TOOL_PREFIXES = ("synchandler_",)


class SleepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(0.0, ge=0, le=1, description="How long to block the event loop.")


def blocking(args: SleepIn, ctx):  # type: ignore[no-untyped-def]
    import time

    time.sleep(args.seconds)
    return {"slept": args.seconds}


@hookimpl
def ggen_register_tools(config):  # type: ignore[no-untyped-def]
    return [
        ToolSpec(
            name="synchandler_sleep",
            description="Sleeps in a plain function, blocking the event loop.",
            input_model=SleepIn,
            handler=blocking,
        )
    ]
