"""Progress of a training run on a CPU, which takes minutes: the step, the latest loss, the time
spent and an estimate of the time left, from the first step on. A bar in a terminal; in a log
(stderr not a terminal), a line every `LOG_EVERY_S` seconds and one at the end."""

from __future__ import annotations

import sys
import time
from typing import Any

from transformers import TrainerCallback

LOG_EVERY_S = 30.0


def duration(seconds: float) -> str:
    """`seconds` as a person reads it: 45 s, 3 min 05 s, 1 h 02 min."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class TrainingProgress(TrainerCallback):
    """Shows a transformers `Trainer`'s progress with the time left, estimated from the steps
    done so far (the first step, which warms up, is left out of the rate once there are more)."""

    def __init__(self, what: str, terminal: bool | None = None) -> None:
        self.what = what
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.loss: float | None = None
        self._start = self._first = self._last = 0.0
        self._from = 0  # the step training (re)started at: a resumed run's rate counts from there
        self._bar: Any = None
        self._task: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._start = self._last = time.monotonic()
        self._from = state.global_step
        if self.terminal:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[note]}"), console=Console(stderr=True))
            self._task = self._bar.add_task(self.what, total=state.max_steps, completed=self._from, note="starting")
            self._bar.start()
        else:
            resumed = f", resuming at step {self._from}" if self._from else ""
            print(f"{self.what}: {state.max_steps} steps{resumed}", file=sys.stderr, flush=True)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if logs and "loss" in logs:
            self.loss = float(logs["loss"])

    def note(self, step: int, total: int) -> str:
        """The loss, the time spent and the time left after `step` of `total` steps."""
        now, done = time.monotonic(), step - self._from
        if done == 1:
            self._first = now
        rate = (now - self._first) / (done - 1) if done > 1 else now - self._start
        loss = f"loss {self.loss:.3f} · " if self.loss is not None else ""
        return f"{loss}{duration(now - self._start)} so far, about {duration(rate * (total - step))} left"

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        step, total = state.global_step, state.max_steps
        note = self.note(step, total)
        if self._bar is not None:
            self._bar.update(self._task, completed=step, note=note)
        elif time.monotonic() - self._last >= LOG_EVERY_S or step in (self._from + 1, total):
            self._last = time.monotonic()
            print(f"{self.what}: step {step}/{total} ({step / max(1, total):.0%}) · {note}", file=sys.stderr, flush=True)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._bar is not None:
            self._bar.stop()
        print(f"{self.what}: done in {duration(time.monotonic() - self._start)}", file=sys.stderr, flush=True)
