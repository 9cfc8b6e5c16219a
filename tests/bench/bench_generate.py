"""Benchmark: load, check and generate every artifact of a system, N times.

Not a test: pytest collects only test_*.py. Run from the repository root:

    .venv/bin/python tests/bench/bench_generate.py            # qemu-a53, 5 runs
    .venv/bin/python tests/bench/bench_generate.py -n 10 qemu-a72

Wall time per run (min and median), split into the external tools the
generator runs as subprocesses (QEMU's dumpdtb, dtc, fdtoverlay) and the
Python that is left (which includes the main thread's wait for the child that renders the
templates, shown on its own line).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from mica_jailhouse import artifacts, boards, external, prefetch
from mica_jailhouse.checks import check_system, has_errors
from mica_jailhouse.load import load

ToolTimes = dict[str, list[float]]


def time_tools(calls: ToolTimes, waits: ToolTimes) -> None:
    """Time each tool from its start to the end of its wait: dtc runs as an
    ``external.Running``, QEMU as a ``prefetch.Spawned`` (``external.DumpDtb``). ``waits``:
    how long the main thread waited for the templates' child (``external.Forked``)."""
    started: dict[int, float] = {}
    init, wait = external.Running.__init__, external.Running.wait
    spawn, spawned_wait = prefetch.spawn, prefetch.Spawned.wait
    result = external.Forked.result

    def timed_init(self: external.Running, argv: list[str], stdin: bytes | None = None,
                   timeout: float | None = None) -> None:
        started[id(self)] = time.perf_counter()
        init(self, argv, stdin, timeout)

    def timed_wait(self: external.Running) -> bytes:
        try:
            return wait(self)
        finally:
            calls[Path(self.argv[0]).name].append(time.perf_counter() - started.pop(id(self)))

    def timed_spawn(argv: list[str], root: str, exe: str | None = None) -> prefetch.Spawned:
        start = time.perf_counter()
        qemu = spawn(argv, root, exe)
        started[id(qemu)] = start
        return qemu

    def timed_spawned_wait(self: prefetch.Spawned, timeout: float) -> int | None:
        try:
            return spawned_wait(self, timeout)
        finally:
            calls[Path(self.argv[0]).name].append(time.perf_counter() - started.pop(id(self)))

    def timed_result(self: external.Forked[Any]) -> Any:
        start = time.perf_counter()
        try:
            return result(self)
        finally:
            waits["child"].append(time.perf_counter() - start)

    setattr(external.Running, "__init__", timed_init)  # noqa: B010 - a bench's wrapper
    setattr(external.Running, "wait", timed_wait)  # noqa: B010
    setattr(prefetch, "spawn", timed_spawn)  # noqa: B010
    setattr(prefetch.Spawned, "wait", timed_spawned_wait)  # noqa: B010
    setattr(external.Forked, "result", timed_result)  # noqa: B010


def one_run(spec: str, calls: ToolTimes, waits: ToolTimes) -> dict[str, float]:
    calls.clear()
    waits.clear()
    t0 = time.perf_counter()
    system = load(boards.resolve(spec))
    t1 = time.perf_counter()
    diags = check_system(system)
    if has_errors(diags):
        raise SystemExit("\n".join(map(str, diags)))
    t2 = time.perf_counter()
    items = artifacts.generate(system)
    t3 = time.perf_counter()
    assert items
    tools = sum(sum(v) for v in calls.values())
    return {"total": t3 - t0, "load": t1 - t0, "check": t2 - t1, "generate": t3 - t2,
            "subprocesses": tools, "python": (t3 - t0) - tools,
            **{f"  {name} ({len(v)}x)": sum(v) for name, v in sorted(calls.items())},
            **{f"  {name} (wait)": sum(v) for name, v in sorted(waits.items())}}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("system", nargs="?", default="qemu-a53")
    p.add_argument("-n", "--runs", type=int, default=5)
    args = p.parse_args()
    calls: ToolTimes = defaultdict(list)
    waits: ToolTimes = defaultdict(list)
    time_tools(calls, waits)
    first = one_run(args.system, calls, waits)  # also fills the template and schema caches
    runs = [one_run(args.system, calls, waits) for _ in range(args.runs)]
    print(f"{args.system}: load + check + generate, {args.runs} runs after a first one "
          f"({first['total'] * 1e3:.1f}ms, {first['python'] * 1e3:.1f}ms of it Python)")
    print(f"{'':28} {'min':>9} {'median':>9}")
    for key in runs[0]:
        values = [r.get(key, 0.0) for r in runs]
        print(f"{key:28} {min(values) * 1e3:7.1f}ms {statistics.median(values) * 1e3:7.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
