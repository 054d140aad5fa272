"""Summaries of py-spy raw (collapsed-stack) profiles: self time by function and by package, inclusive time by
function, per process.

    .venv/bin/python bench/common_profile.py /tmp/ggen.pyspy.ggen.r1 [--top 25] [--match calls.py]

bench/load.py writes such a file with `run --profile PREFIX` (py-spy record --subprocesses --format raw on the
server during the run). Idle samples are not recorded by py-spy, so percentages are shares of on-CPU samples.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]+)(?::\d+)?\)$")


def parse(path: Path) -> list[tuple[str, list[str], int]]:
    """(process, frames root-first, samples) per line."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        process = ""
        while frames and frames[0].startswith("process "):  # --subprocesses: the chain of parent processes
            process = frames.pop(0)
        out.append((process.split(":", 1)[0], frames, int(count)))
    return out


def package(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    file = match.group("file")
    return file.split("/", 1)[0] if "/" in file else file


def function(frame: str) -> str:
    return re.sub(r":\d+\)$", ")", frame)


def summarize(path: Path, top: int = 20, match: str | None = None) -> str:
    samples = parse(path)
    total = sum(n for _, _, n in samples) or 1
    lines = [f"{path}: {total} on-CPU samples"]
    per_process = Counter()
    for process, _, n in samples:
        per_process[process] += n
    for process, n in per_process.most_common():
        lines.append(f"  {process or 'main'}: {100 * n / total:.1f} %")
    self_func, self_pkg, inclusive = Counter(), Counter(), Counter()
    for _, frames, n in samples:
        if not frames:
            continue
        self_func[function(frames[-1])] += n
        self_pkg[package(frames[-1])] += n
        for name in {function(f) for f in frames}:
            inclusive[name] += n
    lines.append("\nself time by function:")
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in self_func.most_common(top)]
    lines.append("\nself time by package:")
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in self_pkg.most_common(top)]
    lines.append("\ninclusive time by function" + (f" (matching {match!r})" if match else "") + ":")
    chosen = [(k, v) for k, v in inclusive.most_common() if not match or re.search(match, k)]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in chosen[:top]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--match", help="regex on function names for the inclusive table")
    args = parser.parse_args()
    print(summarize(args.profile, args.top, args.match))


if __name__ == "__main__":
    main()
