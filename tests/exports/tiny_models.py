"""Tiny models built from configs, for running TRL's trainers on exported data without
downloading anything: a byte-level BPE tokenizer with a chat template, a LLaVA-style
vision-language model with its processor, and a token-classification model for process
reward modelling. Random weights: the tests check that the data goes through a trainer's
real preparation, collation, forward and backward pass, not what the model learns."""

from __future__ import annotations

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    CLIPVisionConfig,
    LlamaConfig,
    LlamaForTokenClassification,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)

try:  # transformers 5: the PIL backend by name (the default one wants torchvision)
    from transformers import CLIPImageProcessorPil as CLIPImageProcessor
except ImportError:  # transformers 4
    from transformers import CLIPImageProcessor

IMAGE_TOKEN = "<image>"
SPECIAL = ["<pad>", "<|end|>", IMAGE_TOKEN, "<|system|>", "<|user|>", "<|assistant|>"]
# Renders the structured content that the exports write: image placeholders and text parts.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for p in m['content'] %}"
    "{% if p['type'] == 'image' %}<image>{% elif p['type'] == 'text' %}{{ p['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
IMAGE_SIZE, PATCH = 28, 14  # 2x2 patches: four image tokens per frame


def tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level BPE with no merges: any text tokenizes, one token per byte."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator([], trainers.BpeTrainer(
        vocab_size=300, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<|end|>",
                                   chat_template=CHAT_TEMPLATE, extra_special_tokens={"image_token": IMAGE_TOKEN})


def _text_config(vocab: int, pad: int, **extra) -> LlamaConfig:
    return LlamaConfig(vocab_size=vocab, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                       num_attention_heads=2, num_key_value_heads=2, pad_token_id=pad,
                       max_position_embeddings=8192, **extra)


def vision_language_model() -> tuple[LlavaForConditionalGeneration, LlavaProcessor]:
    tok = tokenizer()
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE},
                                           crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}),
        tokenizer=tok, patch_size=PATCH, vision_feature_select_strategy="default",
        num_additional_image_tokens=1, chat_template=CHAT_TEMPLATE,
    )
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                       num_attention_heads=2, image_size=IMAGE_SIZE, patch_size=PATCH).to_dict(),
        text_config=_text_config(len(tok), tok.pad_token_id).to_dict(),
        image_token_index=tok.convert_tokens_to_ids(IMAGE_TOKEN),
        vision_feature_select_strategy="default", vision_feature_layer=-1,
    )
    return LlavaForConditionalGeneration(config), processor


def step_classifier() -> tuple[LlamaForTokenClassification, PreTrainedTokenizerFast]:
    """Two labels per step token (wrong, right): the model TRL's PRM trainer expects."""
    tok = tokenizer()
    return LlamaForTokenClassification(_text_config(len(tok), tok.pad_token_id, num_labels=2)), tok
