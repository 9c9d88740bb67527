"""`agentloop report RUN_DIR`: the whole static site, built incrementally.

The build keeps what it made in `.report-state.json`: each landed episode's signature (size
and modification time of its record and steps) and its index entry. A rebuild renders only
the episodes that are new or changed, then rewrites the index and its data file, so that
`--watch` can rebuild every few seconds while a run goes. A change to the report's own code
or templates rebuilds everything.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agentloop.errors import ConfigError, ReportError
from agentloop.recording import RunDir, read_episode
from agentloop.recording.episode import RECORD_FILE, STEPS_FILE
from agentloop.records import RunManifest
from agentloop.report.entries import EpisodeEntry
from agentloop.report.episode import build_episode
from agentloop.report.index import write_index
from agentloop.report.layout import Layout, write_atomic

STATIC_FILES = ("report.css", "list.js", "index.js", "episode.js")
POOL_FROM = 32  # episodes to build before worker processes pay for their start
_HERE = Path(__file__).parent


class _Built(BaseModel):
    """What the state keeps of one built episode."""

    signature: list[int]
    entry: EpisodeEntry


class BuildState(BaseModel):
    """What a report folder holds: the code it was built with and every episode built."""

    format: str = ""
    episodes: dict[str, _Built] = {}


@dataclass(frozen=True)
class BuildResult:
    """What a build did."""

    index: Path
    episodes: int  # in the report
    built: int  # rendered by this build
    expected: int  # episodes the run asks for


@functools.cache
def code_format() -> str:
    """A hash of the report's own code and templates: pages built by other code are rebuilt."""
    h = hashlib.blake2b(digest_size=8)
    for p in sorted(_HERE.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".j2", ".js", ".css"):
            h.update(p.relative_to(_HERE).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _signature(folder: Path) -> list[int]:
    out: list[int] = []
    for name in (RECORD_FILE, STEPS_FILE):
        try:
            st = (folder / name).stat()
            out += [st.st_mtime_ns, st.st_size]
        except FileNotFoundError:
            out += [0, 0]
    return out


def _load_state(layout: Layout) -> BuildState:
    try:
        state = BuildState.model_validate_json(layout.state.read_text("utf-8"))
    except (OSError, ValidationError):
        return BuildState(format=code_format())
    return state if state.format == code_format() else BuildState(format=code_format())


def _build_some(layout: Layout, manifest: RunManifest, ids: Sequence[str]) -> list[EpisodeEntry]:
    """Build the pages of the episodes `ids` (on a worker process, or here)."""
    out = []
    for eid in ids:
        folder = layout.run / "episodes" / eid
        try:
            out.append(build_episode(folder, read_episode(folder), manifest, layout))
        except (OSError, ValueError) as e:  # pydantic's ValidationError is a ValueError
            raise ReportError(f"episode {eid} in {layout.run} could not be reported: {e}") from e
    return out


Progress = Callable[[int, int], None]  # (episodes built so far, episodes to build)


def _build_all(layout: Layout, manifest: RunManifest, ids: list[str], jobs: int,
               progress: Progress | None = None) -> list[EpisodeEntry]:
    """Build the pages of `ids`, here or on `jobs` processes, saying how many are done as they are."""
    tell = progress or (lambda done, total: None)
    out: list[EpisodeEntry] = []
    if jobs <= 1 or len(ids) < POOL_FROM:
        for eid in ids:
            out += _build_some(layout, manifest, [eid])
            tell(len(out), len(ids))
        return out
    size = max(1, min(16, len(ids) // (jobs * 4)))  # small chunks: progress moves, workers share the tail
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for done in as_completed([pool.submit(_build_some, layout, manifest, chunk) for chunk in chunks]):
            out += done.result()
            tell(len(out), len(ids))
    return out


def _drop(layout: Layout, eid: str) -> None:
    for p in (layout.page(eid), layout.animation(eid), layout.thumbnail(eid)):
        p.unlink(missing_ok=True)


def _copy_static(layout: Layout) -> None:
    layout.static.mkdir(parents=True, exist_ok=True)
    for name in STATIC_FILES:
        src, dst = _HERE / "templates" / name, layout.static / name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)


def default_jobs() -> int:
    """Worker processes for a build: the cores this process may use, at most four."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def build_site(run_dir: Path | str, out: Path | str | None = None, jobs: int | None = None,
               live: bool = False, progress: Progress | None = None) -> BuildResult:
    """Build (or bring up to date) the report of the run at `run_dir`, in `out` (default
    RUN_DIR/report). `live` marks the index as being kept current, so open pages poll it;
    `progress(done, total)` hears of each page built."""
    rd = RunDir(run_dir)
    manifest = rd.manifest()
    if out is not None and Path(out).suffix in (".html", ".htm"):
        raise ConfigError(f"--out {out}: the report is a folder (index.html and a page per episode); name a folder")
    layout = Layout(Path(out) if out is not None else rd.path / "report", rd.path)
    state = _load_state(layout)
    landed = sorted(rd.finished_ids())
    signatures = {eid: _signature(rd.episodes_dir / eid) for eid in landed}
    todo = [eid for eid in landed if eid not in state.episodes or state.episodes[eid].signature != signatures[eid]]
    try:
        for eid in set(state.episodes) - set(landed):
            _drop(layout, eid)
            del state.episodes[eid]
        for entry in _build_all(layout, manifest, todo, jobs if jobs is not None else default_jobs(), progress):
            state.episodes[entry.id] = _Built(signature=signatures[entry.id], entry=entry)
        _copy_static(layout)
        entries = [state.episodes[eid].entry for eid in landed]
        expected = manifest.config.episodes * manifest.config.group_size
        write_index(layout, manifest, entries, expected, live)
        write_atomic(layout.state, state.model_dump_json())
    except OSError as e:
        raise ReportError(f"the report could not be written to {layout.out}: {e}") from e
    return BuildResult(layout.index, len(landed), len(todo), expected)


def build_report(run_dir: Path | str, out: Path | str | None = None, jobs: int | None = None) -> Path:
    """Build the report of a run; returns the path of its index page."""
    return build_site(run_dir, out, jobs).index
