"""A tiny tool-calling chat model built locally, so a GRPO run through `environment_factory`
can be tried on a CPU with nothing downloaded.

The model is a Qwen2-style causal LM from a config (random weights, 64 wide, two layers); the
tokenizer is byte-level BPE trained on the text it will see, with Qwen2.5's chat template as
TRL ships it, so TRL recognises the template, renders the tools and parses the model's
`<tool_call>` replies. Random weights almost never write a well-formed tool call, so
`tool_caller` first fits the model, in a few hundred tiny optimisation steps, to open an
episode with one of the calls it is given: the GRPO run that follows really calls the env's
tools through TRL's loop, and its rollouts differ, so there is something to learn.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentloop.calls import SkillCall
from agentloop.errors import ModelError
from agentloop.integrations.answers import describe_reset
from agentloop.integrations.session import Session

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast, Qwen2ForCausalLM

    from agentloop.integrations.tool_env import SkillToolEnv

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Plain added tokens, as in Qwen's own vocabulary: they survive decoding, so replies parse.
MARKUP = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]


def tokenizer(corpus: Iterable[str], vocab_size: int = 1200) -> PreTrainedTokenizerFast:
    """Byte-level BPE trained on `corpus` (so prompts and replies take few tokens), with
    Qwen2.5's chat template."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    from trl.chat_template_utils import qwen2_5_chat_template

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(list(corpus), trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in MARKUP])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|endoftext|>", eos_token="<|im_end|>",
                                   chat_template=qwen2_5_chat_template, clean_up_tokenization_spaces=False)


def causal_lm(tok: PreTrainedTokenizerFast, hidden: int = 64, layers: int = 2) -> Qwen2ForCausalLM:
    """A Qwen2-style causal LM over `tok`'s vocabulary, random weights (seeded)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tok), hidden_size=hidden, intermediate_size=hidden * 2,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=8192, tie_word_embeddings=True,
                         pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=None)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


def tool_call_text(name: str, args: Mapping[str, Any]) -> str:
    """A reply as Qwen2.5 writes a tool call."""
    return f'<tool_call>\n{{"name": "{name}", "arguments": {json.dumps(dict(args))}}}\n</tool_call><|im_end|>'


def teach(model: Qwen2ForCausalLM, tok: PreTrainedTokenizerFast, prompt: str, replies: Sequence[str],
          steps: int = 160) -> float:
    """Fit `model` to answer the rendered `prompt` with each of `replies` alike often (so that
    sampling gives a group of rollouts that differ); the last loss."""
    import torch

    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    pairs = [(ids, tok(r, add_special_tokens=False)["input_ids"]) for r in replies]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    loss = torch.tensor(0.0)
    for i in range(steps):
        prompt_ids, target = pairs[i % len(pairs)]
        loss = model(input_ids=torch.tensor([prompt_ids + target]),
                     labels=torch.tensor([[-100] * len(prompt_ids) + target])).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    return float(loss.detach())


def tools_of(env: object) -> list[Callable[..., Any]]:
    """The tool methods TRL takes from an environment instance (all public methods but its own)."""
    return [m for n, m in inspect.getmembers(env, predicate=inspect.ismethod)
            if n not in ("reset", "get_reward") and not n.startswith("_")]


def tool_caller(env_cls: type[SkillToolEnv], prompt: str, calls: Sequence[str | SkillCall], seed: int,
                steps: int = 160) -> tuple[PreTrainedTokenizerFast, Qwen2ForCausalLM]:
    """A tokenizer and model that answer `prompt` (a dataset row's user message, before TRL
    appends the start text of the row's episode at `seed`) with one of `calls`, alike often."""
    session = Session(env_cls.config)  # not recorded: it is no rollout of the run
    try:
        text = describe_reset(session.reset(seed))  # what the environment's reset answers, text only
    finally:
        session.close()
    tools: list[dict[Any, Any] | Callable[..., Any]] = [*tools_of(env_cls())]
    bound = [env_cls.skills.bind(c).call for c in calls]
    replies = [tool_call_text(c.name, c.args) for c in bound]
    messages = [{"role": "user", "content": prompt + text}]
    # The prompt as TRL renders it (tools included), first to train the tokenizer on, then in its tokens.
    rendered = str(tokenizer([prompt]).apply_chat_template(messages, tools=tools, add_generation_prompt=True,
                                                           tokenize=False))
    tok = tokenizer([rendered, *replies] * 4)
    rendered = str(tok.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False))
    model = causal_lm(tok)
    loss = teach(model, tok, rendered, replies, steps)
    if loss > 0.5:
        raise ModelError(f"the tiny model did not learn its opening calls (loss {loss:.2f} after {steps} steps): "
                         "give it more steps")
    return tok, model
