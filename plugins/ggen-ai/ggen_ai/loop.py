"""The validation loop every AI tool runs: model -> real validator -> problems back to the model, until the
first valid answer, ``max_iterations`` rounds, the token budget or the wall-clock budget."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from ggen_ai.extract import artifact
from ggen_ai.models import ModelSource, ask
from ggen_ai.settings import AiSettings
from ggen_mcp_core import ToolContext
from ggen_mcp_core.client_requests import uses_input_required

MAX_PROBLEMS = 20
"""Problems per round sent back to the model and reported (the rest are counted)."""


@dataclass
class Check:
    """What the validators found in one candidate."""

    problems: list[str]
    validators: list[str]
    data: dict[str, object] = field(default_factory=dict)


Validator = Callable[[str], Awaitable[Check]]


Stopped = Literal["valid", "max_iterations", "token_budget", "wall_clock", "client_rounds"]


def client_rounds_problem(used: int, limit: int) -> str:
    """Why a loop stopped at the 2026-07-28 client round limit, and the two settings that move it."""
    return (
        f"stopped after {used} model rounds in this call: on protocol 2026-07-28 each model round is one client "
        f"round trip, and the server asks at most ai.client_rounds ({limit}) of them, to stay within the client's "
        "input_required_max_rounds (10 by default in the MCP SDK clients); raise both to allow more rounds"
    )


class RoundReport(BaseModel):
    """One round of the loop."""

    round: int = Field(description="1 for the first answer (0: the content as given).")
    source: Literal["model", "given"] = Field(description="given: the content passed in; model: an answer.")
    problems: list[str] = Field(description="What the validators found (empty: valid).")
    chars: int = Field(description="Length of the candidate.")


class LoopReport(BaseModel):
    """How the loop went: every round, the validators run, why it stopped, the final problems."""

    valid: bool = Field(description="The last candidate passed every validator.")
    stopped: Stopped = Field(
        description="Why the loop ended: the first valid answer, or a limit (rounds, tokens, seconds, the "
        "2026-07-28 client's round trips: ai.client_rounds)."
    )
    rounds: list[RoundReport] = Field(description="Every round, in order.")
    validators: list[str] = Field(description="The validators run, in order of first use.")
    final_problems: list[str] = Field(description="What the last candidate still gets wrong (empty: valid).")
    model: str | None = Field(description="The model that answered (none: no model round).")
    tokens_requested: int = Field(description="Tokens asked for over all rounds (maxTokens per round).")


@dataclass
class Outcome:
    """The last candidate and its report (``check.data``: what the last validation produced)."""

    content: str
    report: LoopReport
    check: Check


def feedback(task: str, candidate: str, check: Check) -> str:
    """The next prompt: the task, the last answer and the validators' findings."""
    listed = "\n".join(f"- {p}" for p in check.problems[:MAX_PROBLEMS])
    return (
        f"{task}\n\nYour previous answer was:\n```\n{candidate}```\n\nThe validators ({', '.join(check.validators)}) "
        f"found these problems:\n{listed}\n\nAnswer again with the whole corrected result in one fenced block."
    )


async def run_loop(
    ctx: ToolContext[AiSettings],
    source: ModelSource | None,
    *,
    task: str,
    system: str,
    validate: Validator,
    max_iterations: int,
    given: str | None = None,
    given_check: Check | None = None,
    rounds_before: int = 0,
) -> Outcome:
    """Ask, validate, feed the problems back; ``given`` is checked first (round 0, unless ``given_check`` is
    its check already) and improved if invalid. ``rounds_before``: model rounds an earlier loop of the same call
    used (they count against ai.client_rounds on 2026-07-28)."""
    settings = ctx.settings
    started = ctx.started_at  # the client call's start (on 2026-07-28, its first round's)
    rounds: list[RoundReport] = []
    validators: list[str] = []
    tokens = 0
    model: str | None = None
    candidate, prompt = given or "", task
    check = Check(problems=["no answer yet"], validators=[])
    if given is not None:
        check = given_check if given_check is not None else await validate(given)
        validators += [v for v in check.validators if v not in validators]
        rounds.append(RoundReport(round=0, source="given", problems=check.problems[:MAX_PROBLEMS], chars=len(given)))
        prompt = feedback(task, given, check)
    stopped: Stopped = "max_iterations"
    round_limit = ctx.settings.client_rounds if uses_input_required(ctx.session) else None
    for number in range(1, max_iterations + 1):
        if not check.problems and rounds:
            break
        if source is None:
            break
        if round_limit is not None and rounds_before + number > round_limit:
            stopped = "client_rounds"
            break
        if tokens + settings.max_tokens > settings.token_budget:
            stopped = "token_budget"
            break
        remaining = settings.wall_clock - (time.time() - started)
        if remaining <= 0:
            stopped = "wall_clock"
            break
        answer = await ask(ctx, source, prompt, system, settings.max_tokens, remaining)
        tokens += settings.max_tokens
        model = answer.model
        candidate = artifact(answer.text)
        check = await validate(candidate)
        validators += [v for v in check.validators if v not in validators]
        rounds.append(
            RoundReport(round=number, source="model", problems=check.problems[:MAX_PROBLEMS], chars=len(candidate))
        )
        verdict = "valid" if not check.problems else f"{len(check.problems)} problem(s)"
        # determinate: at most max_iterations model rounds (after an earlier loop's, in ai_generate_project)
        await ctx.progress(rounds_before + number, rounds_before + max_iterations, f"round {number}: {verdict}")
        prompt = feedback(task, candidate, check)
    final = check.problems[:MAX_PROBLEMS]
    if not check.problems:
        stopped = "valid"
    elif stopped == "client_rounds" and round_limit is not None:
        final = [
            *final[: MAX_PROBLEMS - 1],
            client_rounds_problem(rounds_before + sum(r.source == "model" for r in rounds), round_limit),
        ]
    report = LoopReport(
        valid=not check.problems,
        stopped=stopped,
        rounds=rounds,
        validators=validators,
        final_problems=final,
        model=model,
        tokens_requested=tokens,
    )
    return Outcome(content=candidate, report=report, check=check)
