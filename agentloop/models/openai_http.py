"""OpenAI-compatible chat completions over HTTP (vLLM, SGLang, Ollama, llama.cpp server, hosted).

One `AsyncOpenAI` client per backend instance runs on a background event-loop thread, so the
threads of a process share its connection pool and its concurrency limit: episodes running as
threads overlap their model latency. `complete()` is the sync face, `acomplete()` the async one.

Calls are token-exact where the server allows: token log-probabilities are asked for, and the
prompt and completion token ids too (`return_token_ids`, as vLLM takes it); a server that
refuses either is asked without it from then on. `check()` says at once, in one line, when
the server cannot be reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion, ChatCompletionContentPartParam, ChatCompletionMessageParam
from openai.types.chat.chat_completion import Choice
from pydantic import BaseModel
from typing_extensions import Unpack

from agentloop.errors import ConfigError, ModelError, ModelUnreachable
from agentloop.models.base import parse_into
from agentloop.models.types import Completion, ImagePart, Message, Sampling, Usage

T = TypeVar("T")


class _LoopThread:
    """A daemon thread running an asyncio loop; coroutines are submitted from any thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="agentloop-model-io", daemon=True)
        self.thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)


def to_openai_messages(messages: list[Message]) -> list[ChatCompletionMessageParam]:
    """Chat messages as the API takes them: images as PNG data URLs in user turns."""
    out: list[ChatCompletionMessageParam] = []
    for m in messages:
        # System and assistant turns carry text only in the API.
        if m.role == "system":
            out.append({"role": "system", "content": m.text()})
        elif m.role == "assistant":
            out.append({"role": "assistant", "content": m.text()})
        elif isinstance(m.content, str):
            out.append({"role": "user", "content": m.content})
        else:
            parts: list[ChatCompletionContentPartParam] = [
                {"type": "image_url", "image_url": {"url": p.data_url()}} if isinstance(p, ImagePart)
                else {"type": "text", "text": p.text} for p in m.parts()]
            out.append({"role": "user", "content": parts})
    return out


class OpenAIModel:
    """A chat model behind an OpenAI-compatible `/v1/chat/completions`."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int = 32,          # requests in flight at once, across all threads
        timeout_s: float = 60.0,        # per request
        max_retries: int = 4,           # on 429, 5xx, timeouts and dropped connections
        backoff_s: float = 0.5,         # first retry wait; doubles, with jitter
        structured: bool = True,        # ask for JSON-schema output; off after a server refuses it
        logprobs: bool = True,          # ask for token log-probabilities; off after a server refuses them
        token_ids: bool = True,         # ask for prompt and completion token ids; off after a refusal
    ):
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None  # an empty variable is unset
        if not model:
            raise ConfigError("openai model spec needs a model name, e.g. openai:Qwen2.5-VL-7B-Instruct")
        self.name = f"openai:{model}"
        self.model = model
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.structured = structured
        self.logprobs = logprobs
        self.token_ids = token_ids
        self.concurrency = concurrency
        self._io = _LoopThread()
        # Local servers accept any key; hosted APIs need a real one from the environment.
        key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self._client = openai.AsyncOpenAI(base_url=base_url, api_key=key, timeout=timeout_s, max_retries=0)
        self._sem = self._io.submit(_make_semaphore(concurrency)).result()

    # -- public faces ---------------------------------------------------------------------
    def complete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                 **sampling: Unpack[Sampling]) -> Completion:
        return self._io.submit(self.acomplete(messages, schema, **sampling)).result()

    async def acomplete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                        **sampling: Unpack[Sampling]) -> Completion:
        if asyncio.get_running_loop() is not self._io.loop:
            # Called from a caller's own loop: hop onto the client's loop and await the result.
            return await asyncio.wrap_future(self._io.submit(self.acomplete(messages, schema, **sampling)))
        async with self._sem:
            return await self._with_retries(messages, schema, sampling)

    def check(self, timeout_s: float = 5.0) -> None:
        """Raise `ModelUnreachable` (one line: the URL and the fix) unless the server answers."""
        url = str(self._client.base_url)
        try:
            self._io.submit(self._list_models(timeout_s)).result(timeout_s + 5)
        except (openai.APIConnectionError, openai.APITimeoutError, TimeoutError) as e:
            raise ModelUnreachable(
                f"cannot reach the model server at {url} ({type(e).__name__}): start it, or point "
                "--base-url or OPENAI_BASE_URL at one that runs") from None
        except openai.AuthenticationError:
            raise ModelUnreachable(
                f"the model server at {url} refused the API key: set OPENAI_API_KEY or pass --api-key") from None
        except openai.APIStatusError:
            pass  # it answered (some servers have no /models): reachable

    async def _list_models(self, timeout_s: float) -> None:
        await self._client.with_options(timeout=timeout_s).models.list()

    def close(self) -> None:
        """Close the HTTP client and stop its event-loop thread."""
        # A client that cannot close cleanly (its loop already gone) holds nothing worth a failure.
        with contextlib.suppress(Exception):
            self._io.submit(self._client.close()).result(timeout=5)
        self._io.loop.call_soon_threadsafe(self._io.loop.stop)

    # -- transport --------------------------------------------------------------------------
    async def _with_retries(self, messages: list[Message], schema: type[BaseModel] | None,
                            sampling: Sampling) -> Completion:
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            try:
                return await self._once(messages, schema, sampling)
            except openai.BadRequestError as e:
                if self._refused_extra(e, schema is not None):
                    continue
                raise ModelError(f"{self.name}: request rejected: {_msg(e)}") from e
            except (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
                    openai.APIConnectionError) as e:
                last = e
            except (ValueError, openai.APIResponseValidationError) as e:
                # A 200 whose body is not a chat completion (proxy page, truncated JSON).
                last = e
            except openai.APIStatusError as e:
                if e.status_code < 500:
                    raise ModelError(f"{self.name}: HTTP {e.status_code}: {_msg(e)}") from e
                last = e
            if attempt < self.max_retries:
                wait = self.backoff_s * (2 ** attempt) * (0.5 + random.random())
                await asyncio.sleep(wait)
        raise ModelError(f"{self.name}: failed after {self.max_retries + 1} attempts: {_msg(last)}") from last

    def _refused_extra(self, e: openai.BadRequestError, with_schema: bool) -> bool:
        """A 400 about something optional this backend asked for: stop asking for it."""
        said = (str(e) + str(getattr(e, "body", ""))).lower()
        if with_schema and self.structured and "response_format" in said:
            self.structured = False  # no JSON-schema output: fall back to tolerant parsing
        elif self.token_ids and "return_token_ids" in said:
            self.token_ids = False
        elif self.logprobs and "logprobs" in said:
            self.logprobs = False
        else:
            return False
        return True

    async def _once(self, messages: list[Message], schema: type[BaseModel] | None, sampling: Sampling) -> Completion:
        # The SDK's own keywords; left out rather than sent as null where not asked for.
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(messages),
            "temperature": float(sampling.get("temperature", 0.0)),
        }
        if "max_tokens" in sampling:
            kwargs["max_tokens"] = int(sampling["max_tokens"])
        if (seed := sampling.get("seed")) is not None:
            kwargs["seed"] = int(seed)
        if schema is not None and self.structured:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": False},
            }
        if self.logprobs or sampling.get("logprobs"):
            kwargs["logprobs"] = True
            kwargs["top_logprobs"] = 5
        if self.token_ids:
            kwargs["extra_body"] = {"return_token_ids": True}
        t = time.perf_counter()
        resp = await self._client.chat.completions.create(**kwargs)
        latency = time.perf_counter() - t
        return parse_into(self._completion(resp, latency), schema)

    def _completion(self, resp: ChatCompletion, latency: float) -> Completion:
        text, finish, lp, ent, ids = "", None, None, None, None
        if resp.choices:
            ch = resp.choices[0]
            text = (ch.message.content or "") if ch.message else ""
            finish = ch.finish_reason
            lp, ent = _logprobs(ch)
            ids = _ints((ch.model_extra or {}).get("token_ids"))
        usage = Usage(
            prompt_tokens=getattr(resp.usage, "prompt_tokens", None) if resp.usage else None,
            completion_tokens=getattr(resp.usage, "completion_tokens", None) if resp.usage else None,
        )
        return Completion(text=text, model=self.name, latency_s=latency, usage=usage, token_logprobs=lp,
                          mean_entropy=ent, finish_reason=finish, completion_token_ids=ids,
                          prompt_token_ids=_ints((resp.model_extra or {}).get("prompt_token_ids")),
                          model_id=resp.model or None, model_revision=resp.system_fingerprint)


async def _make_semaphore(n: int) -> asyncio.Semaphore:
    return asyncio.Semaphore(n)


def _logprobs(choice: Choice) -> tuple[list[float] | None, float | None]:
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if not content:
        return None, None
    lps = [float(t.logprob) for t in content]
    ents = []
    for t in content:
        tops = getattr(t, "top_logprobs", None) or []
        if tops:
            ps = [math.exp(x.logprob) for x in tops]
            ents.append(-sum(p * math.log(p) for p in ps if p > 0))
    return lps, (sum(ents) / len(ents) if ents else None)


def _ints(value: object) -> list[int] | None:
    """A server's list of token ids, or None where it gave none."""
    if not isinstance(value, list) or not all(isinstance(x, int) for x in value):
        return None
    return [int(x) for x in value]


def _msg(e: Exception | None) -> str:
    if e is None:
        return "unknown error"
    return f"{type(e).__name__}: {str(e)[:300]}"
