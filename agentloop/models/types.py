"""Messages, images and completions: what crosses the boundary to a model backend."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class TextPart(BaseModel):
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

    def pil(self):
        from PIL import Image

        return Image.open(io.BytesIO(self.png)).convert("RGB")


Part = Union[TextPart, ImagePart]


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: list[Part] | str

    def parts(self) -> list[Part]:
        return [TextPart(text=self.content)] if isinstance(self.content, str) else list(self.content)

    def text(self) -> str:
        return "\n".join(p.text for p in self.parts() if isinstance(p, TextPart))

    def images(self) -> list[ImagePart]:
        return [p for p in self.parts() if isinstance(p, ImagePart)]

    def for_record(self) -> dict[str, Any]:
        """JSON-safe form for records: images become their short reference, never base64."""
        parts: list[dict[str, Any]] = []
        for p in self.parts():
            parts.append({"type": "text", "text": p.text} if isinstance(p, TextPart)
                         else {"type": "image", "ref": p.ref})
        return {"role": self.role, "content": parts}


class Usage(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class Completion(BaseModel):
    """One model reply. `parsed` is the schema-validated object when a schema was asked for."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    text: str
    model: str
    parsed: Any = None
    parse_error: str | None = None
    latency_s: float = 0.0
    usage: Usage = Field(default_factory=Usage)
    token_logprobs: list[float] | None = None
    mean_entropy: float | None = None
    finish_reason: str | None = None

    @property
    def logprob_sum(self) -> float | None:
        return float(sum(self.token_logprobs)) if self.token_logprobs else None
