"""Prompt size per family: median and p90 of the model planner's prompts, in characters and tokens.

The prompts are the real ones: scripted runs are recorded (toy, robot, MiniWoB, site, Android on
its ADB double) and rendered by the exports' replay, which runs the model planner's own prompt
code on each recorded step (`agentloop.exports.replay`): each call is what a model planner would
have been sent there, in staged mode (plan, reflect, action calls) and single mode (one call).
Text only: images are left out.

Tokens are counted with a byte-level BPE (`tokenizers`) trained on the rendered prompts of the
first measurement and saved (`--tokenizer`), so a later measurement (another prompt version)
counts with the same vocabulary.

Run:
    python benchmarks/prompt_size.py record OUT            # record the scripted runs under OUT
    python benchmarks/prompt_size.py measure OUT --tokenizer TOK.json [--json RESULT.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from collections.abc import Iterator
from pathlib import Path

# family -> (env id, episodes); the tasks where memory, feedback and plans matter most among them
TASKS: dict[str, list[tuple[str, int]]] = {
    "toy": [("agentloop/toy.switches", 4)],
    "robot": [("agentloop/robot.pick-place", 2), ("agentloop/robot.find-in-drawer", 2)],
    "miniwob": [("agentloop/miniwob.find-greatest", 2), ("agentloop/miniwob.book-flight", 2),
                ("agentloop/miniwob.click-button", 2), ("agentloop/miniwob.click-collapsible-2", 2),
                ("agentloop/miniwob.search-engine", 2)],
    "site": [("agentloop/site.checkout", 2), ("agentloop/site.profile", 2)],
    "android": [("agentloop/android.wifi_on", 2), ("agentloop/android.alarm_create", 2),
                ("agentloop/android.contact_add", 2)],
}


def record(out: Path) -> None:
    """Record every task's scripted episodes under `out/<family>/<task>` (frames off)."""
    from agentloop.envs.android.double import AdbServerDouble

    with AdbServerDouble(0) as srv:
        for family, tasks in TASKS.items():
            for env_id, n in tasks:
                folder = out / family / env_id.split(".", 1)[1]
                if (folder / "run.json").exists():
                    continue
                extra = ["--env-arg", f"adb_port={srv.port}", "--env-arg", "settle_s=0"] if family == "android" else []
                cmd = ["agentloop", "run", env_id, "--episodes", str(n), "--out", str(folder), "--no-frames", *extra]
                print(" ".join(cmd), flush=True)
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def _mode(name: str) -> object:
    import agentloop.prompts

    try:  # prompt versions before the contract layer held the modes in agentloop.prompts
        return agentloop.prompts.PlannerMode(name)  # type: ignore[attr-defined]
    except AttributeError:
        from agentloop.prompt_spec import PlannerMode
        return PlannerMode(name)


def prompts(out: Path, mode: str) -> Iterator[tuple[str, str, str]]:
    """(family, episode id, prompt text) of every planner call rendered for the runs under `out`."""
    from agentloop.exports import PromptOptions
    from agentloop.exports.replay import Vocabulary, episode_moments
    from agentloop.exports.source import Run

    for family in TASKS:
        for run_dir in sorted((out / family).glob("*/")):
            run = Run(run_dir, options=PromptOptions(mode=_mode(mode), images=False))  # type: ignore[arg-type]
            for ep in run.episodes():
                vocab = Vocabulary.of(ep.record.env_id)
                for moment in episode_moments(ep, vocab, run.options, run.manifest.config.candidates):
                    for call in moment.calls:
                        yield family, ep.record.episode_id, "\n\n".join(_text(m) for m in call.prompt)


def _text(message: dict[str, object]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return "\n".join(str(p.get("text", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text")


def _tokenizer(path: Path, texts: list[str]) -> object:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if path.exists():
        return Tokenizer.from_file(str(path))
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=8000, show_progress=False,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.save(str(path))
    return tok


def _stats(values: list[int]) -> tuple[float, float]:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return statistics.median(ordered), p90


def measure(out: Path, tokenizer: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Per mode and family: calls, median and p90 characters and tokens of a prompt, and the
    characters of all an episode's calls together (staged mode's calls per step vary)."""
    rendered = {mode: list(prompts(out, mode)) for mode in ("staged", "single")}
    tok = _tokenizer(tokenizer, [t for rows in rendered.values() for _, _, t in rows])
    result: dict[str, dict[str, dict[str, float]]] = {}
    for mode, rows in rendered.items():
        for family in TASKS:
            texts = [t for f, _, t in rows if f == family]
            episodes = len({e for f, e, _ in rows if f == family})
            if not texts:
                continue
            chars = [len(t) for t in texts]
            tokens = [len(e.ids) for e in tok.encode_batch(texts)]  # type: ignore[attr-defined]
            (cm, cp), (tm, tp) = _stats(chars), _stats(tokens)
            result.setdefault(mode, {})[family] = {"calls": len(texts), "chars_median": cm, "chars_p90": cp,
                                                   "tokens_median": tm, "tokens_p90": tp,
                                                   "chars_per_episode": sum(chars) / episodes}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("record").add_argument("out", type=Path)
    m = sub.add_parser("measure")
    m.add_argument("out", type=Path)
    m.add_argument("--tokenizer", type=Path, required=True, help="BPE file: trained and saved if missing")
    m.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    if args.command == "record":
        record(args.out)
        return
    result = measure(args.out, args.tokenizer)
    print(f"{'mode':<7} {'family':<8} {'calls':>6} {'chars p50':>10} {'chars p90':>10} {'tok p50':>8} {'tok p90':>8} "
          f"{'chars/episode':>14}")
    for mode, families in result.items():
        for family, s in families.items():
            print(f"{mode:<7} {family:<8} {s['calls']:>6} {s['chars_median']:>10.0f} {s['chars_p90']:>10.0f} "
                  f"{s['tokens_median']:>8.0f} {s['tokens_p90']:>8.0f} {s['chars_per_episode']:>14.0f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
