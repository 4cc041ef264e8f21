#!/usr/bin/env python3
"""Prints the benchmark results criterion saved as Markdown tables.

Reads target/criterion/<group>/<id>/new/, written by
`cargo bench --all-features --bench wait_latency` and `--bench throughput`.
For wait_latency it prints, per runtime, one row per contender and one
column pair per placement: the median round trip and its ratio to the
fastest cross-thread peer at that placement (the crochet contenders and the
same-thread floor are not peers). For throughput it prints, per runtime, one
row per number of application threads: calls per second (from the median
time per call) of each contender, and crochet's over the best peer's.

Usage: python3 benches/tables.py [path/to/target/criterion]
"""

import json
import sys
from pathlib import Path

RUNTIMES = ["builtin", "tokio_current", "tokio_multi", "smol", "async_std"]
PLACEMENTS = ["diff_cpu", "same_cpu", "unpinned"]
FLOOR = "floor_same_thread_block_on"


def is_peer(contender):
    return not contender.startswith("crochet_") and contender != FLOOR


def load(root):
    """Maps (runtime, placement, contender) to the median in nanoseconds."""
    medians = {}
    for benchmark in root.glob("*/*/new/benchmark.json"):
        meta = json.loads(benchmark.read_text())
        estimates = json.loads((benchmark.parent / "estimates.json").read_text())
        placement, _, contender = meta["function_id"].partition("/")
        key = (meta["group_id"], placement, contender)
        medians[key] = estimates["median"]["point_estimate"]
    return medians


def show(nanos):
    if nanos >= 1000:
        return f"{nanos / 1000:.1f} µs"
    return f"{nanos:.0f} ns"


def table(runtime, medians):
    contenders = sorted(
        {c for (r, _, c) in medians if r == runtime},
        key=lambda c: (is_peer(c), c == FLOOR, c),
    )
    placements = [p for p in PLACEMENTS if any((runtime, p, c) in medians for c in contenders)]
    best = {}
    for p in placements:
        peers = [(medians[(runtime, p, c)], c) for c in contenders if is_peer(c) and (runtime, p, c) in medians]
        best[p] = min(peers) if peers else None
    lines = [f"### {runtime}", ""]
    header = "| contender | " + " | ".join(f"{p} median | {p} ratio" for p in placements) + " |"
    lines.append(header)
    lines.append("|---|" + "---:|---:|" * len(placements))
    for c in contenders:
        cells = []
        for p in placements:
            value = medians.get((runtime, p, c))
            if value is None:
                cells += ["", ""]
                continue
            ratio = f"{value / best[p][0]:.2f}×" if best[p] else ""
            cells += [show(value), ratio]
        name = f"{c} (best peer at {', '.join(p for p in placements if best[p] and best[p][1] == c)})" \
            if any(best[p] and best[p][1] == c for p in placements) else c
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def throughput_table(runtime, medians):
    group = f"throughput_{runtime}"
    rows = sorted({int(t.split("_")[0]) for (g, t, _) in medians if g == group})
    contenders = sorted({c for (g, _, c) in medians if g == group}, key=lambda c: (is_peer(c), c))
    peers = [c for c in contenders if is_peer(c)]
    lines = [f"### {runtime}", ""]
    lines.append("| threads | " + " | ".join(contenders) + " | crochet_wait_for / best peer |")
    lines.append("|---:|" + "---:|" * (len(contenders) + 1))
    for threads in rows:
        rate = {c: 1e9 / medians[(group, f"{threads}_threads", c)]
                for c in contenders if (group, f"{threads}_threads", c) in medians}
        best = max(rate.get(c, 0) for c in peers) if peers else 0
        cells = [f"{rate[c] / 1000:.0f} k/s" if c in rate else "" for c in contenders]
        ratio = f"{rate['crochet_wait_for'] / best:.2f}×" if best and "crochet_wait_for" in rate else ""
        lines.append(f"| {threads} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("target/criterion")
    medians = load(root)
    latency = [r for r in RUNTIMES if any(k[0] == r for k in medians)]
    throughput = [r for r in RUNTIMES if any(k[0] == f"throughput_{r}" for k in medians)]
    if latency:
        print("## wait_latency\n")
        print("\n\n".join(table(r, medians) for r in latency))
    if throughput:
        print("\n## throughput\n")
        print("\n\n".join(throughput_table(r, medians) for r in throughput))


if __name__ == "__main__":
    main()
