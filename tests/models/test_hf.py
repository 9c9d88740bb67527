"""The transformers backend against a real, tiny Llava checkpoint built here with random weights
and a byte-level BPE tokenizer, saved with `save_pretrained` and loaded back from disk offline."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path
from typing import Literal

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import pytest
from pydantic import BaseModel, Field

from agentloop.errors import ConfigError, ModelError
from agentloop.models import ImagePart, Message, ModelPool, TextPart, from_spec
from agentloop.models.hf import HFModel
from agentloop.prompts.schemas import ValidatorReply

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("xgrammar")

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m.role }}|>"
    "{% if m.content is string %}{{ m.content }}{% else %}{% for p in m.content %}"
    "{% if p.type == 'image' %}<image>{% else %}{{ p.text }}{% endif %}{% endfor %}{% endif %}"
    "<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIALS = ["<pad>", "<|end|>", "<image>", "<|system|>", "<|user|>", "<|assistant|>"]


class Target(BaseModel):
    object: str = Field(max_length=8)


class SkillCall(BaseModel):
    name: Literal["pick", "place"]
    args: Target


def _tokenizer():
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    corpus = ['{"name": "pick", "args": {"object": "red_cube"}}', "place the cube on the table",
              "what next? answer in JSON"] * 20
    bpe.train_from_iterator(corpus, vocab_size=320, min_frequency=1, special_tokens=SPECIALS, show_progress=False)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<pad>", eos_token="<|end|>",
                                   extra_special_tokens={"image_token": "<image>"}, chat_template=CHAT_TEMPLATE)


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory) -> Path:
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    path = tmp_path_factory.mktemp("tiny-llava")
    tok = _tokenizer()
    image_id = tok.convert_tokens_to_ids("<image>")
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                       num_attention_heads=2, image_size=32, patch_size=8, projection_dim=32),
        text_config=LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                                pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id),
        image_token_index=image_id, vision_feature_layer=-1, vision_feature_select_strategy="default",
        projector_hidden_act="gelu",
    )
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.save_pretrained(path)
    image_processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tok, patch_size=8,
                               vision_feature_select_strategy="default", num_additional_image_tokens=1,
                               chat_template=CHAT_TEMPLATE)
    processor.save_pretrained(path)
    return path


def _ask(text: str = "Which skill next? Reply in JSON.", color=(255, 0, 0)) -> list[Message]:
    frame = np.zeros((40, 48, 3), np.uint8)
    frame[5:20, 10:30] = color
    return [Message(role="system", content="You control a robot arm."),
            Message(role="user", content=[ImagePart.from_array(frame, ref="frame:0"), TextPart(text=text)])]


def test_constrained_decoding_with_an_image_fits_the_schema(tiny_vlm):
    model = from_spec("hf:" + str(tiny_vlm))
    assert isinstance(model, HFModel) and model.vision
    c = model.complete(_ask(), schema=SkillCall, max_tokens=64)
    # Random weights: only the grammar makes this parse.
    assert c.parse_error is None, c.text
    assert isinstance(c.parsed, SkillCall) and c.parsed.name in ("pick", "place")
    assert json.loads(c.text) == c.parsed.model_dump()
    assert c.finish_reason == "stop"
    # 16 image tokens (a 4x4 patch grid) plus the rendered chat text.
    assert c.usage.prompt_tokens > 16
    assert c.usage.completion_tokens == len(c.token_logprobs) > 0
    assert all(lp <= 0.0 for lp in c.token_logprobs)
    assert c.mean_entropy is not None and c.mean_entropy > 0.0
    assert c.latency_s > 0.0
    assert c.model == f"hf:{tiny_vlm}"


def test_a_role_schema_fits(tiny_vlm):
    model = from_spec("hf:" + str(tiny_vlm))
    c = model.complete(_ask("Did the last step work?"), schema=ValidatorReply, max_tokens=64)
    assert isinstance(c.parsed, ValidatorReply), c.text


def test_the_image_reaches_the_model(tiny_vlm):
    model = from_spec("hf:" + str(tiny_vlm))
    red = model.complete(_ask(color=(255, 0, 0)), schema=SkillCall, max_tokens=64)
    green = model.complete(_ask(color=(0, 255, 0)), schema=SkillCall, max_tokens=64)
    text_only = model.complete([Message(role="user", content="Which skill next? Reply in JSON.")],
                               schema=SkillCall, max_tokens=64)
    # The processor expands the image placeholder into the 4x4 patch grid the vision tower fills.
    no_system = model.complete(_ask()[1:], schema=SkillCall, max_tokens=64)
    assert no_system.usage.prompt_tokens == text_only.usage.prompt_tokens + 16
    # Different pixels, different first-token distribution.
    assert red.token_logprobs[0] != green.token_logprobs[0]
    assert isinstance(text_only.parsed, SkillCall)


def test_seeded_sampling_repeats_and_still_fits(tiny_vlm):
    model = from_spec("hf:" + str(tiny_vlm))
    a = model.complete(_ask(), schema=SkillCall, temperature=1.0, seed=7, max_tokens=64)
    b = model.complete(_ask(), schema=SkillCall, temperature=1.0, seed=7, max_tokens=64)
    assert a.text == b.text and isinstance(a.parsed, SkillCall), a.text


def test_unconstrained_reply_is_returned_with_a_parse_error(tiny_vlm):
    model = HFModel(str(tiny_vlm), device="cpu", dtype="float32")
    c = model.complete(_ask(), schema=None, max_tokens=8)
    assert c.usage.completion_tokens == len(c.token_logprobs) <= 8
    assert c.parsed is None and c.parse_error is None
    # Too few tokens for the grammar to close the object: reported, not raised.
    short = model.complete(_ask(), schema=SkillCall, max_tokens=3)
    assert short.finish_reason == "length" and short.parsed is None and short.parse_error


def test_threads_and_async_share_one_model(tiny_vlm):
    pool = ModelPool()
    model = pool.get("hf:" + str(tiny_vlm))
    assert pool.get("hf:" + str(tiny_vlm)) is model
    expected = model.complete(_ask(), schema=SkillCall, max_tokens=64).parsed
    results: list = []

    def worker():
        results.append(model.complete(_ask(), schema=SkillCall, max_tokens=64).parsed)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Greedy decoding through the lock: every thread sees the same answer as a lone call.
    assert results == [expected] * 3
    assert asyncio.run(model.acomplete(_ask(), schema=SkillCall, max_tokens=64)).parsed == expected
    pool.close()
    assert pool.get("hf:" + str(tiny_vlm)) is not model  # a closed pool builds afresh


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    path = tmp_path_factory.mktemp("tiny-lm")
    tok = _tokenizer()
    torch.manual_seed(0)
    lm = LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id))
    lm.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def test_completions_are_token_exact(tiny_lm):
    model = HFModel(str(tiny_lm), device="cpu")
    messages = [Message(role="system", content="You control lamps."), Message(role="user", content="next?")]
    c = model.complete(messages, schema=SkillCall, max_tokens=64)
    tok = model.tokenizer
    # The prompt ids are the chat template's rendering; the completion ids decode to the reply.
    chat = [{"role": m.role, "content": m.text()} for m in messages]
    assert tok.decode(c.prompt_token_ids) == tok.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    assert tok.decode(c.completion_token_ids, skip_special_tokens=True) == c.text
    assert len(c.token_logprobs) == len(c.completion_token_ids) == c.usage.completion_tokens
    assert len(c.prompt_token_ids) == c.usage.prompt_tokens
    assert c.model_id == str(tiny_lm) and c.model_revision.startswith("sha256:")
    assert not model.accepts_images and model.trained_for is None


def test_a_grounded_schema_names_only_what_is_in_view(tiny_lm):
    from agentloop.calls import SkillCall as Call
    from agentloop.prompts.schemas import ActionChoice, grounded
    from agentloop.testing.switches import SKILLS, SwitchesEnv

    _, info = SwitchesEnv(lamps=3).reset(seed=0)
    perception = info["agentloop"]
    schema = grounded(ActionChoice, perception.skills, perception.scene_graph)
    model = HFModel(str(tiny_lm), device="cpu")
    for seed in range(4):  # random weights, sampled: only the grammar keeps it in view
        c = model.complete([Message(role="user", content="next?")], schema=schema, temperature=1.0, seed=seed,
                           max_tokens=64)
        assert isinstance(c.parsed, ActionChoice), c.text
        SKILLS.bind(Call(name=c.parsed.skill, args=c.parsed.args))  # a listed skill with its own arguments
        assert c.parsed.args.get("lamp", "lamp_0") in {"lamp_0", "lamp_1", "lamp_2"}


def test_text_only_checkpoint_loads_as_causal_lm(tiny_lm):
    model = HFModel(str(tiny_lm), device="cpu")
    assert not model.vision
    c = model.complete([Message(role="user", content="next?")], schema=SkillCall, max_tokens=64)
    assert isinstance(c.parsed, SkillCall), c.text
    with pytest.raises(ModelError, match="text-only"):
        model.complete(_ask(), schema=SkillCall)


def test_missing_path_is_a_clear_model_error(tmp_path):
    with pytest.raises(ModelError, match="cannot load model"):
        HFModel(str(tmp_path / "no-such-model"), device="cpu")
    with pytest.raises(ModelError, match="cannot load model"):
        from_spec("hf:" + str(tmp_path / "also-missing"))


def test_bad_device_or_dtype_is_a_config_error(tiny_vlm):
    with pytest.raises(ConfigError, match="device"):
        HFModel(str(tiny_vlm), device="tpu")
    with pytest.raises(ConfigError, match="dtype"):
        HFModel(str(tiny_vlm), device="cpu", dtype="int3")
