"""Small models built locally from a config and a tokenizer trained on your own exported text,
so the record → train → run loop can be tried on a CPU with nothing downloaded.

The tokenizer is byte-level BPE whose words keep identifiers whole (`blue_cylinder`,
`lamp_3`), so a node id can become one token; its chat template renders the turns the
exports write (text, or text parts) the way the transformers backend sends them, and marks
the assistant's reply for TRL's assistant-only loss. `causal_lm` makes a Llama-style model
for `--model hf:PATH`, `step_classifier` a two-label token classifier for `--critic prm:PATH`;
`train_sft` and `train_prm` train them with TRL's own trainers on an export and save them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentloop.prompt_spec import PlannerMode, TrainedFor

if TYPE_CHECKING:
    import datasets
    from transformers import LlamaForCausalLM, LlamaForTokenClassification, PreTrainedTokenizerFast

PAD, END = "<pad>", "<|end|>"
SPECIAL = [PAD, END, "<|system|>", "<|user|>", "<|assistant|>"]
# Words are identifiers (letters, digits, underscores), numbers, runs of punctuation with an
# optional leading space, or whitespace. Unlike GPT-2's split, a space never joins the word after
# it: an id is then one and the same token in the goal (` lamp_3`), the scene (`[lamp_3]`) and
# the reply (`"lamp_3"`), so a small model learns to copy it instead of learning, id by id, that
# two tokens mean the same thing.
WORDS = r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+| ?[^\sA-Za-z0-9_]+|\s+(?!\S)|\s+"
_CONTENT = ("{% if m['content'] is string %}{{ m['content'] }}{% else %}"
            "{% for p in m['content'] %}{% if p['type'] == 'text' %}{{ p['text'] }}{% endif %}{% endfor %}{% endif %}")
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>"
    "{% if m['role'] == 'assistant' %}{% generation %}" + _CONTENT + "<|end|>{% endgeneration %}"
    "{% else %}" + _CONTENT + "<|end|>{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2000) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on `texts`, with the chat template set."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(WORDS), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, eos_token=END, chat_template=CHAT_TEMPLATE,
                                   clean_up_tokenization_spaces=False)


def _config(tok: PreTrainedTokenizerFast, hidden: int, layers: int, context: int = 4096, **extra: Any) -> Any:
    from transformers import LlamaConfig

    return LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=hidden * 4,
                       num_hidden_layers=layers, num_attention_heads=max(1, hidden // 32),
                       num_key_value_heads=max(1, hidden // 32), max_position_embeddings=context,
                       pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=None,
                       tie_word_embeddings=True, **extra)


def causal_lm(tok: PreTrainedTokenizerFast, hidden: int = 128, layers: int = 4, context: int = 4096) -> LlamaForCausalLM:
    """A small Llama-style language model over `tok`'s vocabulary, random weights; `context`:
    the longest sequence (prompt and reply, in tokens) it is made for."""
    from transformers import LlamaForCausalLM

    model = LlamaForCausalLM(_config(tok, hidden, layers, context))
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


def step_classifier(tok: PreTrainedTokenizerFast, hidden: int = 128, layers: int = 4) -> LlamaForTokenClassification:
    """A two-label (wrong, right) token classifier: the model TRL's PRM trainer trains."""
    from transformers import LlamaForTokenClassification

    return LlamaForTokenClassification(_config(tok, hidden, layers, num_labels=2))


def row_texts(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The text of export rows (chat turns, or a prompt and its completions), to train a tokenizer on."""
    out: list[str] = []
    for row in rows:
        for turn in row.get("messages") or []:
            content = turn["content"]
            out.append(content if isinstance(content, str) else "".join(p.get("text") or "" for p in content))
        if isinstance(row.get("prompt"), str):
            out.append(row["prompt"])
        out += _strings(row.get("completions"))
    return out


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _args(out: Path, steps: int, batch: int, lr: float, grouped: bool = True,
          checkpoint_every: int | None = None) -> dict[str, Any]:
    """Trainer arguments for a short CPU run that saves nothing on the way.

    Batches are drawn from rows of like length (`group_by_length`: shuffled groups of 50
    batches, sorted within): a batch is padded to its longest row, and web prompts run from
    1,300 to 5,000 tokens: over the 662 rows of a two-episode run of every claimed task, random
    batches of 8 compute 1.81 tokens per real token (3.0x the attention), grouped ones 1.02
    (`benchmarks/sft_batching.py` times both).

    The rate stays constant after warm-up. A small model first learns the reply's format and
    the answers' frequencies, and sits on that plateau for hundreds of steps before it learns to
    read the ids it must copy out of the prompt; a decaying rate ends the run before it does,
    and a rate much above 3e-4 keeps it on the plateau. On `toy.switches`, held-out replies
    exact: 98 % after 600 steps at 3e-4 constant, 33 % after 500 of 600 at 3e-4 cosine; on the
    first steps' rows alone, 100 % after 300 steps at 3e-4 and 39 % after 500 at 1e-3.

    `checkpoint_every`: the trainer's state is saved every that many steps (the last one kept),
    so a run stopped part way resumes there (see `_train`)."""
    return {"output_dir": str(out / "trainer"), "max_steps": steps, "per_device_train_batch_size": batch,
            "learning_rate": lr, "lr_scheduler_type": "constant_with_warmup", "warmup_steps": min(20, steps // 10),
            "report_to": "none", "use_cpu": True,
            **({"save_strategy": "steps", "save_steps": checkpoint_every, "save_total_limit": 1}
               if checkpoint_every else {"save_strategy": "no"}), "logging_steps": max(1, steps // 10),
            "dataloader_num_workers": 0, "disable_tqdm": True, "seed": 0,
            "train_sampling_strategy": "group_by_length" if grouped else "random"}


def _with_progress(trainer: Any, what: str) -> Any:
    """`trainer`, showing its progress with the time left instead of printing a dict of numbers
    every tenth of the run (progress bars are off: they do not estimate well in a log)."""
    from transformers.trainer_callback import PrinterCallback

    from agentloop.models.train_progress import TrainingProgress

    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(TrainingProgress(what))
    return trainer


def _train(trainer: Any, out: Path, callbacks: list[Any] | None = None) -> None:
    """Train, from the last checkpoint in the trainer's folder if there is one (the same rows in
    the same order on from there: the checkpoint holds the random states and the trainer skips
    the batches done), then save the model in `out` and drop the checkpoints."""
    from transformers.trainer_utils import get_last_checkpoint

    folder = Path(trainer.args.output_dir)
    last = get_last_checkpoint(str(folder)) if folder.is_dir() else None
    for callback in callbacks or []:
        trainer.add_callback(callback)
    _with_progress(trainer, f"training {out.name}").train(resume_from_checkpoint=last)
    trainer.save_model(str(out))
    shutil.rmtree(folder, ignore_errors=True)


def train_sft(model: Any, tok: PreTrainedTokenizerFast, rows: datasets.Dataset, out: Path | str, steps: int,
              mode: PlannerMode, batch: int = 8, lr: float = 3e-4, grouped: bool = True,
              checkpoint_every: int | None = None, callbacks: list[Any] | None = None) -> Path:
    """Fine-tune `model` on an `sft` export with TRL's SFT trainer (loss on the replies only),
    then save it with its tokenizer and the prompts it learned (`agentloop_prompts.json`).
    `grouped`: batches of rows of like length (see `_args`); `checkpoint_every`: a run stopped
    part way and called again with the same arguments resumes from its last checkpoint;
    `callbacks`: the trainer's `TrainerCallback`s besides its own (one that stops it early)."""
    import trl

    out = Path(out)
    config = trl.SFTConfig(**_args(out, steps, batch, lr, grouped, checkpoint_every), assistant_only_loss=True,
                           max_length=None)
    _train(trl.SFTTrainer(model=model, args=config, train_dataset=rows, processing_class=tok), out, callbacks)
    tok.save_pretrained(str(out))
    TrainedFor.current(mode, images="images" in rows.column_names).write(out)
    return out


def train_prm(model: Any, tok: PreTrainedTokenizerFast, rows: datasets.Dataset, out: Path | str, steps: int,
              batch: int = 8, lr: float = 3e-3, checkpoint_every: int | None = None) -> Path:
    """Train a step classifier on a `prm` export with TRL's stepwise-supervision trainer,
    then save it for `--critic prm:PATH` (`checkpoint_every` as in `train_sft`)."""
    from trl.experimental.prm import PRMConfig, PRMTrainer  # TRL's PRM trainer up to 1.13

    out = Path(out)
    config = PRMConfig(**_args(out, steps, batch, lr, checkpoint_every=checkpoint_every), max_length=None,
                       max_completion_length=None)
    trainer = PRMTrainer(model=model, args=config, train_dataset=rows, processing_class=tok)
    _train(trainer, out)
    tok.save_pretrained(str(out))
    TrainedFor.current(PlannerMode.SINGLE, images=False, step_separator=config.step_separator).write(out)
    return out
