"""Episodes bound by model latency: one at a time vs. many threads sharing one HTTP client.

Runs the same N episodes through the real runner (`execute`, as `agentloop run` does) with the
VLM planner talking to an OpenAI-compatible server double that answers after a fixed latency,
first with --concurrency 1, then with --concurrency N, and prints both times, the ratio and
each level's success. An episode is a function of its seed and decisions, not of what ran beside
it: where an episode's outcome at --concurrency N differs from its outcome alone, the benchmark
says which and exits 1.

    python benchmarks/model_concurrency.py [--episodes 16] [--latency 0.5] [--env agentloop/toy.switches]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agentloop.records import EpisodeRecord, RunConfig
from agentloop.runner import execute, prepare
from agentloop.testing.openai_server import OpenAIServerDouble
from agentloop.testing.replies import SchemaReplies, request_schema

Level = tuple[float, list[EpisodeRecord], int]  # wall seconds, the episodes' records, model calls


def run(env_id: str, episodes: int, concurrency: int, steps: int, base_url: str, out: Path) -> Level:
    config = RunConfig(env_id=env_id, episodes=episodes, model="openai:double-vlm", base_url=base_url,
                       concurrency=concurrency, max_steps=steps, critic="rule", validator="rule",
                       record_frames=False, out=str(out))
    run_dir = out / f"c{concurrency}"
    _, specs, _ = prepare(config, run_dir, resume=False)
    records: list[EpisodeRecord] = []
    t = time.perf_counter()
    execute(specs, config, run_dir, records.append)
    elapsed = time.perf_counter() - t
    calls = 0
    for f in run_dir.glob("episodes/*/steps.jsonl"):
        calls += sum(len(json.loads(line)["model_calls"]) for line in f.open())
    return elapsed, records, calls


def run_loop(env_id: str, episodes: int, concurrency: int, steps: int, base_url: str) -> Level:
    """The same episodes through `run_episode` directly (one env per thread, one shared model,
    nothing written to disk): the runner's recording left out."""
    from agentloop import registry
    from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
    from agentloop.models import ModelPool
    from agentloop.recording import NullSink
    from agentloop.roles.factory import build_roles

    config = RunConfig(env_id=env_id, model="openai:double-vlm", critic="rule", validator="rule")
    local = threading.local()
    calls = []

    class Count(NullSink):
        def step(self, record):
            calls.append(len(record.model_calls))

    with ModelPool() as models:
        model = models.get("openai:double-vlm", base_url=base_url)

        def one(seed: int):
            env = getattr(local, "env", None)
            if env is None:
                env = local.env = registry.make(env_id)
            return run_episode(env, EpisodeSpec(env_id, seed), build_roles(config, env, model),
                               LoopLimits(max_steps=steps), Count()).record

        t = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            records = list(pool.map(one, range(episodes)))
        return time.perf_counter() - t, records, sum(calls)


def prompt_keyed(body: dict) -> str:
    """The double's reply as a function of the prompt alone. Its default replies take their
    choices in turn across all requests, so with episodes side by side each would get other
    replies than alone, and its outcome would change for that reason only."""
    replies = SchemaReplies()
    replies.turn = zlib.crc32(json.dumps(body.get("messages"), sort_keys=True).encode())
    return replies.text(request_schema(body))


def outcomes(records: list[EpisodeRecord]) -> dict[int, str]:
    return {r.seed: r.outcome.value for r in records}


def changed(alone: list[EpisodeRecord], together: list[EpisodeRecord]) -> list[str]:
    """The episodes whose outcome differs between the two levels, as "seed: alone -> together"."""
    a, b = outcomes(alone), outcomes(together)
    return [f"seed {s}: {a.get(s)} -> {b.get(s)}" for s in sorted(a.keys() | b.keys()) if a.get(s) != b.get(s)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--episodes", type=int, default=16)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--latency", type=float, default=0.5, help="seconds per model call at the server double")
    ap.add_argument("--steps", type=int, default=2, help="max steps per episode")
    ap.add_argument("--env", default="agentloop/toy.switches")
    ap.add_argument("--path", choices=["runner", "loop", "both"], default="both",
                    help="runner: through execute() with recording; loop: run_episode in threads")
    a = ap.parse_args()
    with OpenAIServerDouble(latency_s=a.latency, responder=prompt_keyed) as server, tempfile.TemporaryDirectory() as tmp:
        rows = []
        for label, fn in (("runner", lambda c: run(a.env, a.episodes, c, a.steps, server.base_url, Path(tmp) / "r")),
                          ("loop", lambda c: run_loop(a.env, a.episodes, c, a.steps, server.base_url))):
            if a.path not in (label, "both"):
                continue
            seq = fn(1)
            par = fn(a.concurrency)
            rows.append((label, seq, par))
    table = Table(title=f"{a.episodes} episodes of {a.env}, {a.latency:.2f} s per model call (server double)")
    for col in ("path", "concurrency", "episodes", "success", "model calls", "wall s", "speed-up"):
        table.add_column(col, justify="right")
    for label, (t1, r1, c1), (tn, rn, cn) in rows:
        table.add_row(label, "1", str(len(r1)), _success(r1), str(c1), f"{t1:.1f}", "1.0x")
        table.add_row(label, str(a.concurrency), str(len(rn)), _success(rn), str(cn), f"{tn:.1f}", f"{t1 / tn:.1f}x")
    Console().print(table)
    failed = False
    for label, (t1, r1, _), (tn, rn, _) in rows:
        print(f"{label}: one at a time {t1:.1f} s, --concurrency {a.concurrency} {tn:.1f} s, ratio {t1 / tn:.1f}x (target >= 8x)")
        diff = changed(r1, rn)
        if diff:
            failed = True
            print(f"FAIL {label}: {len(diff)} of {len(r1)} episodes end differently at --concurrency {a.concurrency} "
                  f"than one at a time ({_success(rn)} against {_success(r1)}): {'; '.join(diff[:8])}")
    return 1 if failed else 0


def _success(records: list[EpisodeRecord]) -> str:
    return f"{sum(r.success for r in records)}/{len(records)}"


if __name__ == "__main__":
    sys.exit(main())
