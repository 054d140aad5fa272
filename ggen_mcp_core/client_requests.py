"""Requests a tool makes of the client in the middle of a call: sampling (the client's model) and form
elicitation (the user), in both protocol eras.

- 2025-11-25 sessions: a ``sampling/createMessage`` / ``elicitation/create`` request on the session's
  back-channel, answered while the call waits (bounded by ``wait_seconds``).
- 2026-07-28 requests: the multi-round-trip flow. The call ends with an ``InputRequiredResult`` carrying the
  question and a ``requestState`` (sealed by the SDK's ``RequestStateBoundary``: the client cannot read or
  forge it); the client answers and retries the call, and the handler runs again from the start. Each
  question already answered in an earlier round is answered from the state, in order, so a deterministic
  handler reaches the next question; an answer is used only for the exact question it answered (a digest).

A client that did not declare the capability gets :class:`ClientCapabilityMissing` (a ``ToolError`` naming
the capability), never a hang.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import mcp_types as types
from pydantic import BaseModel, ValidationError

from ggen_mcp_core.errors import ToolError

MRTR_VERSION = "2026-07-28"
MAX_SAMPLE_TOKENS = 32_000
"""The most tokens one ``ctx.sample`` may ask for."""
DEFAULT_MAX_RESPONSE_CHARS = 256 * 1024
"""The longest answer (text characters, or elicited JSON) a request accepts unless told otherwise."""
DEFAULT_TIMEOUT = 120.0
"""Seconds a 2025-era request waits for the client's answer unless told otherwise."""
MAX_STATE_BYTES = 2 * 1024 * 1024
"""The most answers (JSON bytes) a 2026-07-28 call carries from round to round."""
_STATE_VERSION = 1


class ClientCapabilityMissing(ToolError):
    """The client cannot answer this request (it did not declare the capability, or has no back-channel)."""

    def __init__(self, capability: str, why: str) -> None:
        self.capability = capability
        super().__init__(why)


class InputRequired(Exception):
    """Raised by ``ctx.sample``/``ctx.elicit`` on a 2026-07-28 request whose answer has not arrived yet: the
    call pipeline turns it into the call's ``InputRequiredResult``. A handler must let it through."""

    def __init__(self, result: types.InputRequiredResult) -> None:
        super().__init__("the client's input is required")
        self.result = result


@dataclass(frozen=True)
class Sampled:
    """The client's (or a server-side model's) answer to a sampling request."""

    text: str
    model: str
    stop_reason: str | None = None


@dataclass(frozen=True)
class Elicited:
    """The user's answer to a form elicitation: ``action`` accept/decline/cancel, ``content`` when accepted."""

    action: Literal["accept", "decline", "cancel"]
    content: dict[str, Any] | None = None


@dataclass
class Exchange:
    """One client call's conversation with the client across 2026-07-28 rounds (shared by nested calls)."""

    responses: dict[str, Any]
    recorded: list[dict[str, Any]]
    asked: dict[str, str]
    started: float
    next_index: int = 0
    kept: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: Any) -> Exchange:
        """The exchange a request carries (its ``inputResponses`` and unsealed ``requestState``)."""
        raw = params if isinstance(params, dict) else dict(params or {})
        responses = raw.get("inputResponses") or raw.get("input_responses") or {}
        state = _decode_state(raw.get("requestState") or raw.get("request_state"))
        return cls(
            responses=dict(responses) if isinstance(responses, dict) else {},
            recorded=list(state.get("recorded", [])),
            asked=dict(state.get("asked", {})),
            started=float(state.get("started", time.time())),
        )

    def answer(self, request: types.CreateMessageRequest | types.ElicitRequest) -> dict[str, Any]:
        """The wire answer to the next question, from an earlier round or this round's responses; raises
        :class:`InputRequired` when the client has not answered it yet."""
        index, self.next_index = self.next_index, self.next_index + 1
        q = _digest(request)
        if index < len(self.recorded) and self.recorded[index].get("q") == q:
            entry = self.recorded[index]
            self.kept.append(entry)
            return dict(entry["data"])
        del self.recorded[index:]  # the handler asked something else this time: later answers no longer apply
        key = f"ggen-{index}"
        response = self.responses.get(key)
        if response is not None and self.asked.get(key) == q:
            if isinstance(response, BaseModel):
                data = response.model_dump(mode="json", by_alias=True, exclude_none=True)
            else:
                data = dict(response)
            entry = {"q": q, "data": data}
            self.kept.append(entry)
            self.recorded.append(entry)
            return data
        state = _encode_state({"v": _STATE_VERSION, "recorded": self.kept, "asked": {key: q}, "started": self.started})
        raise InputRequired(types.InputRequiredResult(input_requests={key: request}, request_state=state))


def _digest(request: BaseModel) -> str:
    params = request.model_dump(mode="json", by_alias=True, exclude_none=True).get("params")
    rendered = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(hashlib.sha256(rendered.encode()).digest()[:16]).decode().rstrip("=")


def _encode_state(state: dict[str, Any]) -> str:
    text = json.dumps(state, separators=(",", ":"), ensure_ascii=True)
    if len(text) > MAX_STATE_BYTES:
        raise ToolError(
            f"the answers of this call's earlier rounds total {len(text)} bytes, over the {MAX_STATE_BYTES}-byte "
            "limit a call carries between rounds; ask the client for shorter answers or fewer rounds"
        )
    return text


def _decode_state(text: Any) -> dict[str, Any]:
    """The state the boundary unsealed (it was minted by this server); anything else counts as a fresh call."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        state = json.loads(text)
    except ValueError:
        return {}
    return state if isinstance(state, dict) and state.get("v") == _STATE_VERSION else {}


def uses_input_required(session: Any) -> bool:
    """True when the request speaks 2026-07-28 or later (questions ride ``InputRequiredResult``)."""
    from mcp_types.version import is_version_at_least

    version = getattr(session, "protocol_version", None)
    return isinstance(version, str) and is_version_at_least(version, MRTR_VERSION)


def _capabilities(session: Any) -> types.ClientCapabilities | None:
    return getattr(session, "client_capabilities", None)


def require_sampling(session: Any, tool: str) -> None:
    """Refuse, naming the capability, when the client cannot sample."""
    if session is None:
        raise ClientCapabilityMissing("sampling", f"{tool} needs a model: there is no MCP client on this call")
    caps = _capabilities(session)
    if caps is None or caps.sampling is None:
        raise ClientCapabilityMissing(
            "sampling",
            f"{tool} needs a model, and this client did not declare the MCP 'sampling' capability (it cannot "
            "lend the server its model); use a client that supports sampling, or ask the operator to configure "
            "a server-side model",
        )


def require_elicitation(session: Any, tool: str) -> None:
    """Refuse, naming the capability, when the client cannot show a form (bare ``elicitation: {}`` = form)."""
    caps = _capabilities(session) if session is not None else None
    elicitation = caps.elicitation if caps is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        raise ClientCapabilityMissing(
            "elicitation",
            f"{tool} needs to ask the user, and this client did not declare the MCP 'elicitation' (form) "
            "capability; pass the values as arguments instead",
        )


def require_back_channel(session: Any, tool: str, capability: str) -> None:
    """Refuse a 2025-era request on a connection that cannot carry it (stateless HTTP: no session, so the
    client's capabilities are not known either)."""
    if session is not None and not uses_input_required(session) and not getattr(session, "can_send_request", True):
        raise ClientCapabilityMissing(
            capability,
            f"{tool} cannot reach the client for {capability}: this connection has no back-channel (stateless "
            "HTTP on 2025-11-25); use a stateful session, stdio, or protocol 2026-07-28",
        )


def sampling_messages(prompt: str | list[types.SamplingMessage]) -> list[types.SamplingMessage]:
    """A prompt as sampling messages (one user message for a string)."""
    if isinstance(prompt, str):
        return [types.SamplingMessage(role="user", content=types.TextContent(type="text", text=prompt))]
    return list(prompt)


def sampled_from(result: types.CreateMessageResult, max_chars: int, tool: str) -> Sampled:
    """The answer's text, refused when it is not text or longer than ``max_chars``."""
    content = result.content
    if not isinstance(content, types.TextContent):
        raise ToolError(f"{tool} asked the client's model for text and got {content.type} content")
    if len(content.text) > max_chars:
        raise ToolError(
            f"the client's model answered {len(content.text)} characters, over the {max_chars}-character limit "
            f"of {tool}'s request"
        )
    return Sampled(text=content.text, model=result.model, stop_reason=result.stop_reason)


async def sample_via_session(
    session: Any,
    params: types.CreateMessageRequestParams,
    *,
    related_request_id: str | None,
    wait_seconds: float,
    tool: str,
) -> types.CreateMessageResult:
    """A 2025-era ``sampling/createMessage`` on the back-channel, waiting at most ``wait_seconds``."""
    import warnings

    from mcp.shared.exceptions import MCPDeprecationWarning, MCPError

    require_back_channel(session, tool, "sampling")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated on 2026-07-28, part of 2025-11-25
        try:
            with anyio.fail_after(wait_seconds):
                result: types.CreateMessageResult = await session.create_message(
                    params.messages,
                    max_tokens=params.max_tokens,
                    system_prompt=params.system_prompt,
                    temperature=params.temperature,
                    stop_sequences=params.stop_sequences,
                    model_preferences=params.model_preferences,
                    related_request_id=related_request_id,
                )
        except TimeoutError:
            raise ToolError(
                f"the client's model did not answer {tool}'s sampling request within {wait_seconds:g} s"
            ) from None
        except MCPError as exc:
            raise ToolError(f"the client refused {tool}'s sampling request: {exc}") from None
    return result


async def elicit_via_session(
    session: Any,
    message: str,
    schema: dict[str, Any],
    *,
    related_request_id: str | None,
    wait_seconds: float,
    tool: str,
) -> types.ElicitResult:
    """A 2025-era ``elicitation/create`` (form) on the back-channel, waiting at most ``wait_seconds``."""
    from mcp.shared.exceptions import MCPError

    require_back_channel(session, tool, "elicitation")
    try:
        with anyio.fail_after(wait_seconds):
            result: types.ElicitResult = await session.elicit_form(
                message, schema, related_request_id=related_request_id
            )
    except TimeoutError:
        raise ToolError(f"the user did not answer {tool}'s question within {wait_seconds:g} s") from None
    except MCPError as exc:
        raise ToolError(f"the client refused {tool}'s elicitation request: {exc}") from None
    return result


def elicited_from(result: types.ElicitResult, max_chars: int, tool: str) -> Elicited:
    """The user's answer, refused when its content is larger than ``max_chars`` as JSON."""
    content = dict(result.content) if result.content is not None else None
    if content is not None and len(json.dumps(content, default=str)) > max_chars:
        raise ToolError(f"the user's answer to {tool}'s question is over the {max_chars}-character limit")
    return Elicited(action=result.action, content=content if result.action == "accept" else None)


def parse_answer(model: type[BaseModel], data: dict[str, Any], tool: str, what: str) -> Any:
    """A recorded or fresh wire answer as the SDK's result model."""
    try:
        return model.model_validate(data)
    except ValidationError:
        raise ToolError(f"the client's answer to {tool}'s {what} request is malformed") from None
