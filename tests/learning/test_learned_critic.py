"""A learned critic: a tiny step classifier trained with TRL's PRM trainer on the `prm`
export of runs where the rule critic refused switching off lamps that were off, then run as
`--critic prm:PATH` alone, after the rule critic, and to pick among two candidates. It reads
the rows' prompt and step exactly as the trainer tokenised them."""

from __future__ import annotations

import datasets
import pytest

from agentloop import registry
from agentloop.context import Context
from agentloop.exports import export
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.models import tiny
from agentloop.models.prm import StepScorer
from agentloop.prompts.messages import prm_prompt
from agentloop.records import CallRole, RunConfig, VerdictSource
from agentloop.roles.factory import build_roles
from agentloop.testing import MemorySink
from tests.learning.conftest import TOY, cli

torch = pytest.importorskip("torch")
pytest.importorskip("trl")


@pytest.fixture(scope="module")
def prm(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("prm")
    cli("run", TOY, "-n", "3", "--candidates", "2", "--planner", "tests.exports.hasty_planner:HastyPlanner",
        "--out", str(root / "run"))
    rows = datasets.load_dataset("parquet", split="train", data_files=str(export(root / "run", "prm", root / "x")))
    assert set(map(tuple, rows["labels"])) == {(True,), (False,)}
    tok = tiny.train_tokenizer(tiny.row_texts(rows), vocab_size=500)
    path = tiny.train_prm(tiny.step_classifier(tok, hidden=32, layers=1), tok, rows, root / "model", steps=60)
    return path, rows


def test_the_critic_reads_a_row_as_the_trainer_tokenised_it(prm):
    from trl.experimental.prm import PRMTrainer

    path, rows = prm
    scorer, row = StepScorer(str(path)), rows[0]
    made = PRMTrainer.tokenize_row(row, scorer.tokenizer, "\n", None, None, False, False)
    prompt_ids, step_ids = scorer.tokenize(row["prompt"], row["completions"][0])
    assert prompt_ids + step_ids == made["input_ids"]
    assert made["labels"][len(prompt_ids + step_ids) - 1] == int(row["labels"][0])  # scored where it learned


@pytest.mark.parametrize(("critic", "candidates"), [("prm", 1), ("rule+prm", 1), ("prm", 2)])
def test_the_learned_critic_judges_before_acting(prm, critic, candidates):
    path, _ = prm
    env = registry.make(TOY)
    roles = build_roles(RunConfig(env_id=TOY, critic=f"{critic}:{path}", candidates=candidates,
                                  planner="tests.exports.hasty_planner:HastyPlanner"), env)
    sink = MemorySink()
    rec = run_episode(env, EpisodeSpec(TOY, seed=5), roles, LoopLimits(max_steps=6, candidates=candidates), sink).record
    assert rec.critic == critic
    learned = [c.verdict for s in sink.steps for c in s.candidates
               if c.verdict is not None and c.verdict.source is VerdictSource.VLM]
    assert learned and all(0.0 <= v.score <= 1.0 for v in learned)
    # Its accuracy against the validator is measured, as any model critic's is.
    assert rec.critic_agreement.accepted_passed + rec.critic_agreement.accepted_failed > 0
    # The first call reads the prompt the export renders for this state and what was said so far
    # (with the rule critic first, its refusal of the first candidate).
    first = sink.steps[0]
    call = next(c for c in first.model_calls if c.role is CallRole.PRM)
    judged = next(i for i, c in enumerate(first.candidates) if c.verdict and c.verdict.source is VerdictSource.VLM)
    obs, info = env.reset(seed=5)
    ctx = Context.of(TOY, obs, info, env.unwrapped.skillset, max_steps=6)  # the loop's limit, which prompts state
    prompt = prm_prompt(ctx, first.feedback[:judged // candidates])
    assert call.prompt_token_ids == StepScorer(str(path)).tokenize(prompt, call.prompt[-1]["content"][0]["text"])[0]
    if candidates == 2:  # best of N: the one that ran scored highest among those accepted
        for s in sink.steps:
            ok = [c for c in s.candidates if c.verdict is not None and c.verdict.ok]
            if ok and any(c.executed for c in ok):
                assert next(c for c in ok if c.executed).verdict.score == max(c.verdict.score for c in ok)
