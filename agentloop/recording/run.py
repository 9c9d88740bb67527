"""A run folder: `run.json` plus finished episodes under `episodes/`."""

from __future__ import annotations

import contextlib
import importlib.metadata as md
import platform
import shutil
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from agentloop.errors import ConfigError
from agentloop.recording.episode import PARTIAL, RECORD_FILE, read_episode
from agentloop.records import EpisodeRecord, RunConfig, RunManifest, now

_VERSIONED = (
    "agentloop", "gymnasium", "numpy", "pydantic", "mujoco", "playwright", "miniwob", "openai",
    "transformers", "torch", "adbutils", "ray",
)


def package_versions() -> dict[str, str]:
    """The versions of Python and of the packages a run's results depend on, as installed."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        with contextlib.suppress(md.PackageNotFoundError):  # not installed: not part of the run
            out[name] = md.version(name)
    return out


class RunDir:
    """A run folder: `run.json` (the `RunManifest`) and the landed episodes under `episodes/`.

    Only landed episodes count; `episodes/.partial/` holds episodes being written, or left
    half-written by a killed run, and `clear_partial` removes them.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @property
    def manifest_path(self) -> Path:
        return self.path / "run.json"

    @property
    def episodes_dir(self) -> Path:
        return self.path / "episodes"

    @property
    def errors_log(self) -> Path:
        """`errors.log`: the traceback of every episode that code crashed, where a person reads it
        (the terminal gets the one-line reason only)."""
        return self.path / "errors.log"

    def log_error(self, record: EpisodeRecord) -> None:
        """Append an error episode's traceback to `errors.log` (nothing for one without)."""
        if record.error_trace:
            with self.errors_log.open("a", encoding="utf-8") as f:
                f.write(f"== {record.episode_id}: {record.error}\n{record.error_trace}\n")

    def exists(self) -> bool:
        return self.manifest_path.exists()

    def create(self, config: RunConfig, env_ids: list[str], models: list[str]) -> RunManifest:
        """Make the folder and write its manifest (atomically: a reader sees all of it or none)."""
        self.episodes_dir.mkdir(parents=True, exist_ok=True)
        manifest = RunManifest(
            run_id=self.path.name, created_at=now(), config=config, env_ids=env_ids,
            versions=package_versions(), models=models, command=_safe_argv(),
        )
        tmp = self.manifest_path.with_suffix(".json.tmp")
        tmp.write_text(manifest.model_dump_json(indent=1), "utf-8")
        tmp.replace(self.manifest_path)
        return manifest

    def manifest(self) -> RunManifest:
        if not self.path.exists():
            raise ConfigError(f"{self.path}: no such folder")
        if not self.exists():
            raise ConfigError(f"{self.path} is not a run folder (no run.json)")
        return RunManifest.model_validate_json(self.manifest_path.read_text("utf-8"))

    def finished_ids(self) -> set[str]:
        """The ids of the episodes that landed."""
        if not self.episodes_dir.exists():
            return set()
        return {
            p.name for p in self.episodes_dir.iterdir()
            if p.is_dir() and p.name != PARTIAL and (p / RECORD_FILE).exists()
        }

    def clear_partial(self) -> int:
        """Delete half-written episodes left by a killed run; returns how many."""
        partial = self.episodes_dir / PARTIAL
        if not partial.exists():
            return 0
        n = sum(1 for _ in partial.iterdir())
        shutil.rmtree(partial, ignore_errors=True)
        return n

    def episodes(self) -> Iterator[tuple[Path, EpisodeRecord]]:
        """Each landed episode's folder and record, in id order."""
        for eid in sorted(self.finished_ids()):
            d = self.episodes_dir / eid
            yield d, read_episode(d)


def _safe_argv() -> list[str]:
    """The command line, with the values of secret-bearing flags removed."""
    out, hide = [], False
    for a in sys.argv:
        if hide:
            out.append("***")
            hide = False
            continue
        low = a.lower()
        if low.startswith("-") and any(s in low for s in ("key", "token", "secret", "password")):
            if "=" in a:
                out.append(a.split("=", 1)[0] + "=***")
            else:
                out.append(a)
                hide = True
            continue
        out.append(a)
    return out


def default_run_dir(out: str | Path, env_id: str) -> Path:
    """`OUT/<task>-<date>-<time>`: where a run goes when no folder is named."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(out) / f"{env_id.split('/')[-1].replace(':', '_')}-{stamp}"
