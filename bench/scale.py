"""Build and query wiresearch's own engines on an archive too large for the full
benchmark: no stock-Whoosh baseline and no peers (building stock Whoosh over a million
articles takes hours here), the same child tasks as run.py otherwise.

    python bench/scale.py --corpus bench/work/synth1000000 [--engines wiresearch-tantivy,wiresearch]

For each engine: the full build from the files (seconds, articles/s, index size, peak
resident memory of the building process and of it and its readers together, sampled as
run.py samples it), then run.py's 42 queries in its three modes (top 10; with country
and year facets; newest first), median and 95th percentile over every timed request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import run

ENGINES = tuple(run.WIRESEARCH_ENGINES)


def measure(engine: str, corpus: Path, work: Path, repeat: int) -> dict:
    index = work / "index" / engine
    built = run.run_child({"kind": "build", "engine": engine, "corpus": str(corpus),
                           "index": str(index)}, work)
    asked = run.run_child({"kind": "queries", "engine": engine, "index": str(index),
                           "queries": list(run.QUERIES), "repeat": repeat}, work)
    queries = {}
    for mode, per_query in asked["samples"].items():
        every = [seconds for samples in per_query.values() for seconds in samples]
        queries[mode] = {"median_ms": statistics.median(every) * 1000,
                         "p95_ms": run.percentile(every, 0.95) * 1000}
    return {"build": built, "queries": queries,
            "first_query_ms": (asked["first_query_seconds"] or 0) * 1000}


def describe(engine: str, result: dict) -> str:
    built = result["build"]
    lines = [f"{engine}: {built['articles']:,} articles in {built['seconds']:.0f} s "
             f"({built['articles'] / built['seconds']:,.0f}/s), index "
             f"{built['index_bytes'] / 2**20:,.0f} MB, peak memory "
             f"{built['maxrss'] / 2**20:,.0f} MB (building process), "
             f"{max(built['tree_peak_rss'], built['maxrss']) / 2**20:,.0f} MB "
             f"(with its readers)"]
    for mode, figures in result["queries"].items():
        lines.append(f"  {mode:<7} median {figures['median_ms']:.1f} ms, "
                     f"p95 {figures['p95_ms']:.1f} ms")
    lines.append(f"  open + first query {result['first_query_ms']:.1f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"comma-separated, from {','.join(ENGINES)}")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed passes over the queries (default 3)")
    parser.add_argument("--work", type=Path, default=None,
                        help="scratch folder (default bench/work/run-<corpus>)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    engines = [name for name in args.engines.split(",") if name]
    unknown = [name for name in engines if name not in ENGINES]
    if unknown or not engines:
        parser.error(f"engines are {', '.join(ENGINES)}")
    if not args.corpus.exists():
        parser.error(f"no such corpus: {args.corpus}")
    work = args.work or run.BENCH / "work" / f"run-{args.corpus.resolve().name}"
    results = {}
    for engine in engines:
        results[engine] = measure(engine, args.corpus, work, args.repeat)
        print(describe(engine, results[engine]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
