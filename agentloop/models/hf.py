"""A local Hugging Face transformers model: image-text-to-text checkpoints (Llava, Qwen2-VL,
Idefics3, PaliGemma, ...) through `AutoModelForImageTextToText` + `AutoProcessor`, text-only
checkpoints through `AutoModelForCausalLM` + `AutoTokenizer`.

When a schema is asked for, decoding is constrained by an xgrammar grammar compiled from the
schema's JSON Schema, so even a weak model can only emit text that parses. Every completion
carries its prompt and completion token ids, per-token log-probabilities, the model path and
its revision. A model folder may say which agentloop prompts it was trained on
(`agentloop_prompts.json`, see `agentloop.prompt_spec`). The threads of a process share
one loaded model; a lock serialises `generate()` because a model's forward pass and the
grammar state are not safe to share between concurrent calls.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import BaseModel
from typing_extensions import Unpack

from agentloop.errors import ConfigError, ModelError
from agentloop.models.base import parse_into
from agentloop.models.types import Completion, ImagePart, Message, Sampling, Usage
from agentloop.prompt_spec import TrainedFor

if TYPE_CHECKING:
    import torch
    import xgrammar as xgr

DEFAULT_MAX_TOKENS = 512
GRAMMARS = 256  # compiled grammars kept (schemas that enumerate ids in view differ per state)
_HASHED_WEIGHTS = 1 << 30  # weights up to this size are hashed whole for the revision
_BOUNDED_STRING_CHAR = r'[^\"\\\r\n]'
_JSON_STRING_CHAR = r'[^\0-\x1f\"\\\r\n]'


class _Turn(TypedDict):
    """A chat turn as chat templates take it: text, or parts ({"type": "image"} / text)."""

    role: str
    content: str | list[dict[str, str]]


class HFModel:
    """`HFModel(path_or_id, device="auto", dtype="auto")`.

    device: "auto" (cuda when available, else cpu), "cpu", "cuda", "cuda:N" or "mps".
    dtype: "auto" (bfloat16 on cuda, float32 elsewhere), "float32", "float16" or "bfloat16".
    """

    def __init__(self, path: str, device: str = "auto", dtype: str = "auto", trust_remote_code: bool = False):
        if not path:
            raise ConfigError("hf model spec needs a local path or hub id, e.g. hf:Qwen/Qwen2-VL-2B-Instruct")
        self.name = f"hf:{path}"
        self.path = path
        self.device = _pick_device(device)
        self.dtype = _pick_dtype(dtype, self.device)
        self._lock = threading.Lock()
        self._grammars: OrderedDict[str, xgr.CompiledGrammar] = OrderedDict()  # schema JSON -> grammar
        self._compiler: xgr.GrammarCompiler | None = None
        self._load(trust_remote_code)
        self.accepts_images = self.vision
        self.trained_for = TrainedFor.read(path) if Path(path).is_dir() else None
        self.revision = _revision(path, self.model)

    # -- loading --------------------------------------------------------------------------
    def _load(self, trust_remote_code: bool) -> None:
        from transformers import (
            AutoConfig,
            AutoModelForCausalLM,
            AutoModelForImageTextToText,
            AutoProcessor,
            AutoTokenizer,
        )
        from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

        try:
            config = AutoConfig.from_pretrained(self.path, trust_remote_code=trust_remote_code)
            # A checkpoint whose config the image-text-to-text auto class maps takes images;
            # anything else is loaded as a plain causal LM.
            self.vision = (config.model_type in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES
                           or "AutoModelForImageTextToText" in (getattr(config, "auto_map", None) or {}))
            kw = {"dtype": self.dtype, "trust_remote_code": trust_remote_code}
            if self.vision:
                self.processor = AutoProcessor.from_pretrained(self.path, trust_remote_code=trust_remote_code)
                self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
                self.model = AutoModelForImageTextToText.from_pretrained(self.path, **kw)
            else:
                self.tokenizer = AutoTokenizer.from_pretrained(self.path, trust_remote_code=trust_remote_code)
                self.processor = None
                self.model = AutoModelForCausalLM.from_pretrained(self.path, **kw)
        except (OSError, ValueError, ImportError, KeyError) as e:
            # OSError: no such path, not on the hub, or offline without a cached copy;
            # ValueError/KeyError: a config no transformers class knows.
            raise ModelError(f"{self.name}: cannot load model: {type(e).__name__}: {str(e)[:300]}") from e
        try:
            # transformers wraps `to` in functools.wraps, which mypy reads as an unbound function.
            self.model.to(self.device)  # type: ignore[arg-type]
        except RuntimeError as e:        # out of device memory, or a device torch cannot use
            raise ModelError(f"{self.name}: cannot move model to {self.device}: {str(e)[:300]}") from e
        self.model.eval()
        self.eos_ids = self._eos_ids()

    def _eos_ids(self) -> list[int]:
        ids: set[int] = set()
        gen = getattr(self.model, "generation_config", None)
        for src in (getattr(gen, "eos_token_id", None), self.tokenizer.eos_token_id):
            if isinstance(src, int):
                ids.add(src)
            elif src:
                ids.update(int(i) for i in src)
        if not ids:
            raise ModelError(f"{self.name}: the checkpoint names no end-of-sequence token")
        return sorted(ids)

    def _vocab_size(self) -> int:
        # The logits width, which can exceed the tokenizer's vocabulary because of padding.
        out = self.model.get_output_embeddings()
        if out is not None and hasattr(out, "weight"):
            return int(out.weight.shape[0])
        return int(self.model.config.get_text_config().vocab_size)

    def _grammar(self, schema: type[BaseModel]) -> xgr.CompiledGrammar:
        import xgrammar as xgr

        key = json.dumps(schema.model_json_schema())  # unsorted: the grammar emits properties in this order
        if key in self._grammars:
            self._grammars.move_to_end(key)
        else:
            if self._compiler is None:
                info = xgr.TokenizerInfo.from_huggingface(self.tokenizer, vocab_size=self._vocab_size(),
                                                          stop_token_ids=self.eos_ids)
                self._compiler = xgr.GrammarCompiler(info)
            # Compact JSON: free whitespace lets a weak model loop on spaces until max_tokens.
            ebnf = str(xgr.Grammar.from_json_schema(key, any_whitespace=False))
            # xgrammar's length-bounded string rule admits raw control characters, which strict
            # JSON parsers reject; exclude them as its unbounded string rule already does.
            ebnf = ebnf.replace(_BOUNDED_STRING_CHAR, _JSON_STRING_CHAR)
            self._grammars[key] = self._compiler.compile_grammar(xgr.Grammar.from_ebnf(ebnf))
            if len(self._grammars) > GRAMMARS:
                self._grammars.popitem(last=False)
        return self._grammars[key]

    # -- public faces ---------------------------------------------------------------------
    def check(self) -> None:
        """Loaded in the constructor, so reachable by now (a bad path raised there)."""

    def complete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                 **sampling: Unpack[Sampling]) -> Completion:
        with self._lock:
            return self._generate(messages, schema, sampling)

    async def acomplete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                        **sampling: Unpack[Sampling]) -> Completion:
        return await asyncio.to_thread(self.complete, messages, schema, **sampling)

    # -- generation ---------------------------------------------------------------------------
    def _inputs(self, messages: list[Message]) -> dict[str, torch.Tensor]:
        images = [p.pil() for m in messages for p in m.images()]
        if images and not self.vision:
            raise ModelError(f"{self.name}: a text-only model cannot take images")
        chat: list[_Turn]
        if self.vision:
            chat = [{"role": m.role, "content": [{"type": "image"} if isinstance(p, ImagePart)
                                                 else {"type": "text", "text": p.text} for p in m.parts()]}
                    for m in messages]
            template = self.processor
        else:
            chat = [{"role": m.role, "content": m.text()} for m in messages]
            template = self.tokenizer
        try:
            prompt = template.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        except Exception as e:
            if not any(m.role == "system" for m in messages):
                raise ModelError(f"{self.name}: chat template failed: {e}") from e
            # Some templates (Gemma, PaliGemma, ...) refuse a system role: fold it into the first user turn.
            prompt = template.apply_chat_template(_fold_system(chat), add_generation_prompt=True, tokenize=False)
        if self.vision:
            enc = self.processor(text=prompt, images=images or None, return_tensors="pt", add_special_tokens=False)
        else:
            enc = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        return dict(enc.to(self.device))

    def _generate(self, messages: list[Message], schema: type[BaseModel] | None, sampling: Sampling) -> Completion:
        import torch

        enc = self._inputs(messages)
        # generate()'s own keywords, of many types.
        gen: dict[str, Any] = {
            "max_new_tokens": int(sampling.get("max_tokens") or DEFAULT_MAX_TOKENS),
            "eos_token_id": self.eos_ids,
            "pad_token_id": self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_ids[0],
            "return_dict_in_generate": True,
            "output_logits": True,
        }
        temperature = float(sampling.get("temperature", 0.0))
        if temperature > 0:
            gen.update(do_sample=True, temperature=temperature, top_p=float(sampling.get("top_p", 1.0)))
        else:
            gen.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if (seed := sampling.get("seed")) is not None:
            torch.manual_seed(int(seed))
        if schema is not None:
            from xgrammar.contrib.hf import LogitsProcessor

            # One processor per call: it holds the grammar matcher's state for this sequence.
            gen["logits_processor"] = [LogitsProcessor(self._grammar(schema))]
        t = time.perf_counter()
        try:
            with torch.inference_mode():
                out = self.model.generate(**enc, **gen)
        except (RuntimeError, ValueError) as e:
            raise ModelError(f"{self.name}: generation failed: {type(e).__name__}: {str(e)[:300]}") from e
        latency = time.perf_counter() - t
        prompt_len = int(enc["input_ids"].shape[1])
        new = out.sequences[0, prompt_len:].tolist()
        finish = "stop" if new and new[-1] in self.eos_ids else "length"
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        lps, ent = _token_stats(out.logits, new)
        c = Completion(text=text, model=self.name, latency_s=latency,
                       usage=Usage(prompt_tokens=prompt_len, completion_tokens=len(new)),
                       token_logprobs=lps, mean_entropy=ent, finish_reason=finish,
                       prompt_token_ids=enc["input_ids"][0].tolist(), completion_token_ids=new,
                       model_id=self.path, model_revision=self.revision)
        return parse_into(c, schema)


def _token_stats(logits: tuple[torch.Tensor, ...] | None, tokens: list[int]) -> tuple[list[float] | None, float | None]:
    """Log-prob of each generated token and the mean entropy, under the model's own distribution
    (raw logits, before temperature and the grammar mask): a forced token's constrained
    probability is always 1 and would say nothing about how sure the model was."""
    if not logits or not tokens:
        return None, None
    import torch

    lps, ents = [], []
    for step, tok in zip(logits, tokens):
        logp = torch.log_softmax(step[0].float(), dim=-1)
        lps.append(float(logp[tok]))
        ents.append(float(-(logp.exp() * logp).nansum()))
    return lps, (sum(ents) / len(ents) if ents and all(math.isfinite(e) for e in ents) else None)


def _revision(path: str, model: Any) -> str | None:
    """The hub commit of a downloaded checkpoint; for a local folder, a hash of its weights
    (whole up to 1 GiB, else of names, sizes and modification times) and config."""
    commit = getattr(model.config, "_commit_hash", None)
    folder = Path(path)
    if not folder.is_dir():
        return str(commit) if commit else None
    files = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin", ".json") and p.is_file())
    whole = sum(p.stat().st_size for p in files) <= _HASHED_WEIGHTS
    digest = hashlib.sha256()
    for p in files:
        st = p.stat()
        digest.update(p.name.encode() + b"\0")
        digest.update(p.read_bytes() if whole else f"{st.st_size}:{st.st_mtime_ns}".encode())
    return "sha256:" + digest.hexdigest()[:16]


def _fold_system(chat: list[_Turn]) -> list[_Turn]:
    system = [m for m in chat if m["role"] == "system"]
    rest = [_Turn(role=m["role"], content=m["content"]) for m in chat if m["role"] != "system"]
    if not rest:
        return [_Turn(role="user", content=m["content"]) for m in system]
    first = rest[0]
    for s in reversed(system):
        if isinstance(first["content"], str):
            first["content"] = (s["content"] if isinstance(s["content"], str) else
                                "\n".join(p.get("text", "") for p in s["content"])) + "\n\n" + first["content"]
        else:
            head = [{"type": "text", "text": s["content"]}] if isinstance(s["content"], str) else list(s["content"])
            first["content"] = head + list(first["content"])
    return rest


def _pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for, but torch sees no CUDA device")
    if device not in ("cpu", "mps") and not device.startswith("cuda"):
        raise ConfigError(f"unknown device {device!r}; use auto, cpu, cuda, cuda:N or mps")
    return device


def _pick_dtype(dtype: str, device: str) -> torch.dtype:
    import torch

    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    table = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if dtype not in table:
        raise ConfigError(f"unknown dtype {dtype!r}; use auto, {', '.join(table)}")
    return table[dtype]
