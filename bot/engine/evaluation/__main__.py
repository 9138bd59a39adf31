"""`python -m bot.engine.evaluation`: the engine and its peers on seeded scenarios (or a real file).

    python -m bot.engine.evaluation [--seeds N] [--json OUT] [--no-peers] [--details]
    python -m bot.engine.evaluation --real POSTS.jsonl[.gz] [--bursts README.md]

A benchmark-style evaluation, not a test: it prints figures to steer by.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence

from bot.engine.evaluation.drive import engine_alerts
from bot.engine.evaluation.peers import PEERS
from bot.engine.evaluation.report import (
    bar_check,
    stories_json,
    story_details,
    summary_json,
    table,
)
from bot.engine.evaluation.scenarios import GROUPS, all_scenarios
from bot.engine.evaluation.scorer import StreamScore, Summary, score, summarize

ENGINE = "engine"


def evaluate(
    seeds: int,
    first_seed: int,
    groups: Sequence[str],
    peers: bool,
    details: bool,
    out: str | None,
) -> int:
    scores: dict[str, list[StreamScore]] = defaultdict(list)
    started = time.perf_counter()
    for sc in all_scenarios(seeds, first_seed, groups):
        t0 = time.perf_counter()
        scores[ENGINE].append(score(sc, engine_alerts(sc.posts, sc.leaders)))
        spent = {ENGINE: time.perf_counter() - t0}
        if peers:
            for name, peer in PEERS.items():
                t0 = time.perf_counter()
                scores[name].append(score(sc, peer(sc.posts)))
                spent[name] = time.perf_counter() - t0
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in spent.items())
        print(f"{sc.name}: {len(sc.posts):,} posts, {sc.hours:.0f} h ({timing})", file=sys.stderr)
    rows: list[tuple[str, str, Summary]] = []
    groups = sorted({s.scenario.split("/")[0] for s in scores[ENGINE]})
    for group in [*groups, "all"]:
        for name, per_stream in scores.items():
            chosen = [s for s in per_stream if group == "all" or s.scenario.startswith(group + "/")]
            rows.append((group, name, summarize(chosen)))
    print(table(rows))
    print(
        "prec: matched/(matched+false); false/d: false alerts per stream day; al/story: alerts per"
        " found story; med/max min: first alert after the story's first post; 10th med: when its"
        " 10th post appeared (the floor); named/leader: first alert; neg: negatives fired."
    )
    print("engine against issue 10's bar:")
    for group, name, summary in rows:
        if name == ENGINE:
            print("  " + bar_check(group, summary))
    if details:
        print()
        print(story_details(scores[ENGINE]))
    print(f"evaluation took {time.perf_counter() - started:.0f}s", file=sys.stderr)
    if out:
        payload = {
            "summary": [{"group": g, "detector": n, **summary_json(s)} for g, n, s in rows],
            "stories": stories_json(scores[ENGINE]),
        }
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False, indent=1)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.engine.evaluation", description=__doc__)
    parser.add_argument(
        "--seeds",
        type=int,
        default=2,
        help="main streams; a hard, a shift, a joined and a drift one per two (2)",
    )
    parser.add_argument(
        "--groups", default=",".join(GROUPS), help=f"comma-separated subset of {','.join(GROUPS)}"
    )
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--json", metavar="OUT", help="write summaries and per-story results")
    parser.add_argument("--no-peers", action="store_true", help="score the engine only")
    parser.add_argument("--details", action="store_true", help="per-story and false alerts")
    parser.add_argument("--real", metavar="FILE", help="replay a real post file instead")
    parser.add_argument("--bursts", metavar="README", help="known-bursts table for --real")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    if not groups or any(g not in GROUPS for g in groups):
        parser.error(f"--groups takes a comma-separated subset of {','.join(GROUPS)}")
    if args.real:
        from bot.engine.evaluation.real import run_real

        return run_real(args.real, args.bursts, sys.stdout, sys.stderr, not args.no_peers)
    return evaluate(args.seeds, args.first_seed, groups, not args.no_peers, args.details, args.json)


if __name__ == "__main__":
    sys.exit(main())
