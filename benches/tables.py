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

With `--svg PATH` it also writes a horizontal bar chart of the wait_latency
medians with caller and loop on different CPUs (diff_cpu): per runtime,
crochet's default `wait_for` against the fastest cross-thread peer. The
chart is plain SVG, written with the standard library only.

Usage: python3 benches/tables.py [--svg benches/wait_latency.svg] [path/to/target/criterion]
"""

import json
import sys
from pathlib import Path

RUNTIMES = ["builtin", "tokio_current", "tokio_multi", "smol", "async_std"]
PLACEMENTS = ["diff_cpu", "same_cpu", "unpinned", "first_diff_cpu", "first_same_cpu"]
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


def best_peer(runtime, placement, medians):
    """The fastest cross-thread peer's (median, name) at a placement, or None."""
    peers = [(m, c) for (r, p, c), m in medians.items() if r == runtime and p == placement and is_peer(c)]
    return min(peers) if peers else None


def chart(runtimes, medians, placement="diff_cpu"):
    """An SVG horizontal bar chart: crochet_wait_for against the best peer."""
    rows = []
    for r in runtimes:
        ours = medians.get((r, placement, "crochet_wait_for"))
        best = best_peer(r, placement, medians)
        if ours is not None and best is not None:
            rows.append((r, ours / 1000, best[0] / 1000, best[1]))
    bar, gap, group_gap, top, left, plot = 18, 4, 18, 70, 120, 460
    height = top + len(rows) * (2 * bar + gap + group_gap) + 40
    width = left + plot + 250
    largest = max([max(o, b) for _, o, b, _ in rows] + [1])
    step = next(s for s in [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000] if largest / s <= 6)
    scale_max = step * -(-largest // step)
    x = lambda us: left + plot * us / scale_max
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold">Round trip of a trivial job, '
        f'caller and loop on different CPUs (median, lower is better)</text>',
        f'<rect x="{left}" y="34" width="12" height="12" fill="#1f6fb4"/>'
        f'<text x="{left + 18}" y="45">crochet wait_for (default)</text>',
        f'<rect x="{left + 200}" y="34" width="12" height="12" fill="#b0b0b0"/>'
        f'<text x="{left + 218}" y="45">fastest hand-written bridge on the same runtime</text>',
    ]
    axis_bottom = height - 30
    tick = 0
    while tick <= scale_max:
        out.append(f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" y2="{axis_bottom}" '
                   f'stroke="#e0e0e0"/>')
        out.append(f'<text x="{x(tick):.1f}" y="{axis_bottom + 14}" text-anchor="middle">{tick:g} µs</text>')
        tick += step
    y = top
    for runtime, ours, best, name in rows:
        out.append(f'<text x="{left - 8}" y="{y + bar + gap / 2 + 4:.0f}" text-anchor="end" '
                   f'font-weight="bold">{runtime}</text>')
        for value, colour, label in [(ours, "#1f6fb4", f"{ours:.1f} µs ({ours / best:.2f}×)"),
                                     (best, "#b0b0b0", f"{best:.1f} µs {name}")]:
            out.append(f'<rect x="{left}" y="{y}" width="{x(value) - left:.1f}" height="{bar}" fill="{colour}"/>')
            out.append(f'<text x="{x(value) + 5:.1f}" y="{y + bar - 5}">{label}</text>')
            y += bar + gap
        y += group_gap - gap
    out.append(f'<line x1="{left}" y1="{top - 6}" x2="{left}" y2="{axis_bottom}" stroke="#404040"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    svg = None
    if args[:1] == ["--svg"]:
        svg, args = Path(args[1]), args[2:]
    root = Path(args[0]) if args else Path("target/criterion")
    medians = load(root)
    latency = [r for r in RUNTIMES if any(k[0] == r for k in medians)]
    throughput = [r for r in RUNTIMES if any(k[0] == f"throughput_{r}" for k in medians)]
    if latency:
        print("## wait_latency\n")
        print("\n\n".join(table(r, medians) for r in latency))
    if throughput:
        print("\n## throughput\n")
        print("\n\n".join(throughput_table(r, medians) for r in throughput))
    if svg is not None and latency:
        svg.write_text(chart(latency, medians))


if __name__ == "__main__":
    main()
