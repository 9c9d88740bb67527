"""A tiny Qwen2-style causal LM and its tokenizer, built here from configs (nothing is
downloaded), with Qwen2.5's chat template as TRL ships it, so TRL recognises it, renders the
tools and parses the model's `<tool_call>` replies.

Random weights would almost never write a well-formed tool call, so `teach` fits the model,
in a few hundred tiny optimisation steps, to answer the prompts it will see with a given
call: the GRPO run that follows then really calls the env's tools through TRL's loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import torch
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM
from trl.chat_template_utils import qwen2_5_chat_template

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Plain added tokens, as in Qwen's own vocabulary: they survive decoding, so replies parse.
MARKUP = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]


def tokenizer(corpus: Iterable[str], vocab_size: int = 1200) -> PreTrainedTokenizerFast:
    """Byte-level BPE trained on `corpus`, so prompts and replies take few tokens."""
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
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tok), hidden_size=hidden, intermediate_size=hidden * 2,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=8192, tie_word_embeddings=True,
                         pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=None)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


def tool_call_text(name: str, args: dict) -> str:
    """A reply as Qwen2.5 writes a tool call."""
    return f'<tool_call>\n{{"name": "{name}", "arguments": {json.dumps(args)}}}\n</tool_call><|im_end|>'


def teach(model: Qwen2ForCausalLM, tok: PreTrainedTokenizerFast, prompt: str, replies: Sequence[str],
          steps: int = 160) -> float:
    """Fit `model` to answer the rendered `prompt` with each of `replies` alike often (so
    that sampling gives a group of rollouts that differ); the last loss."""
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    pairs = [(ids, tok(r, add_special_tokens=False)["input_ids"]) for r in replies]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    loss = torch.tensor(0.0)
    for i in range(steps):
        prompt, target = pairs[i % len(pairs)]
        ids = torch.tensor([prompt + target])
        labels = torch.tensor([[-100] * len(prompt) + target])
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    return float(loss.detach())
