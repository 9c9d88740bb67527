"""Messages, images, sampling settings and completions: what crosses the boundary to a model backend."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import TYPE_CHECKING, Literal, TypedDict

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from PIL import Image


class TextPart(BaseModel):
    """A piece of text in a message."""

    type: Literal["text"] = "text"
    text: str


class ImagePart(BaseModel):
    """An RGB image held as PNG bytes; `ref` is the short name used in records instead of pixels."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    type: Literal["image"] = "image"
    png: bytes = Field(repr=False)
    ref: str = ""

    @classmethod
    def from_array(cls, frame: np.ndarray, ref: str = "") -> ImagePart:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(frame, dtype=np.uint8)).save(buf, format="PNG")
        data = buf.getvalue()
        return cls(png=data, ref=ref or f"image:{hashlib.sha1(data).hexdigest()[:12]}")

    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def pil(self) -> Image.Image:
        from PIL import Image

        return Image.open(io.BytesIO(self.png)).convert("RGB")


Part = TextPart | ImagePart
Role = Literal["system", "user", "assistant"]


class Message(BaseModel):
    """One chat turn: a role and its text, or its parts (text and images)."""

    role: Role
    content: list[Part] | str

    def parts(self) -> list[Part]:
        return [TextPart(text=self.content)] if isinstance(self.content, str) else list(self.content)

    def text(self) -> str:
        return "\n".join(p.text for p in self.parts() if isinstance(p, TextPart))

    def images(self) -> list[ImagePart]:
        return [p for p in self.parts() if isinstance(p, ImagePart)]

    def for_record(self) -> dict[str, object]:
        """JSON-safe form for records: images become their short reference, never base64."""
        parts = [{"type": "text", "text": p.text} if isinstance(p, TextPart) else {"type": "image", "ref": p.ref}
                 for p in self.parts()]
        return {"role": self.role, "content": parts}


class Sampling(TypedDict, total=False):
    """The sampling keywords every backend understands (`complete(..., temperature=0.7)`)."""

    temperature: float  # 0 (the default) is greedy
    max_tokens: int
    seed: int | None  # repeatable sampling where the backend supports it
    top_p: float
    logprobs: bool  # ask for token log-probabilities on this call


class Usage(BaseModel):
    """Token counts of one call, as the backend reports them."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class Completion(BaseModel):
    """One model reply. `parsed` is the schema-validated object when a schema was asked for.
    Token ids and log-probabilities are there when the backend gives them (the transformers
    backend always; an OpenAI-compatible server when it returns them)."""

    text: str
    model: str
    parsed: BaseModel | None = None
    parse_error: str | None = None
    latency_s: float = 0.0
    usage: Usage = Field(default_factory=Usage)
    token_logprobs: list[float] | None = None  # one per completion token
    mean_entropy: float | None = None
    finish_reason: str | None = None
    prompt_token_ids: list[int] | None = None  # the prompt as the model saw it, chat template applied
    completion_token_ids: list[int] | None = None
    model_id: str | None = None  # the model as the backend names it (server model, local path)
    model_revision: str | None = None  # hub commit, weights hash or server fingerprint

    @property
    def logprob_sum(self) -> float | None:
        return float(sum(self.token_logprobs)) if self.token_logprobs else None
