"""Where the files of a report go, and how its pages refer to each other and to the run.

```
OUT/                            (default RUN_DIR/report)
  index.html                    configuration, per-task table, the episode list
  data/episodes.js              the episode list's rows, loaded by the index and every episode page
  episodes/<id>.html            one page per episode
  anim/<id>.webp, <id>.thumb.webp   its animation, and the index's thumbnail
  static/                       the pages' CSS and JavaScript
  .report-state.json            what has been built, so a rebuild renders only what is new
```

Frames are not copied: pages refer to them in the run folder by relative path, so the
report opens from the file system wherever the two folders sit side by side.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote


@dataclass(frozen=True)
class Layout:
    """The paths of one report's files."""

    out: Path
    run: Path

    @property
    def index(self) -> Path:
        return self.out / "index.html"

    @property
    def data(self) -> Path:
        return self.out / "data" / "episodes.js"

    @property
    def static(self) -> Path:
        return self.out / "static"

    @property
    def state(self) -> Path:
        return self.out / ".report-state.json"

    @property
    def pages(self) -> Path:
        return self.out / "episodes"

    def page(self, episode_id: str) -> Path:
        return self.pages / f"{episode_id}.html"

    def animation(self, episode_id: str) -> Path:
        return self.out / "anim" / f"{episode_id}.webp"

    def thumbnail(self, episode_id: str) -> Path:
        return self.out / "anim" / f"{episode_id}.thumb.webp"

    def from_page(self, target: Path) -> str:
        """The URL of `target` relative to an episode page."""
        return href(os.path.relpath(target.resolve(), self.pages.resolve()))


def href(relative: str) -> str:
    """A relative file path as a URL path: separators as `/`, every other special character quoted."""
    return quote(relative.replace(os.sep, "/"))


def write_atomic(path: Path, text: str) -> None:
    """Write `path` aside and rename it into place: a reader (a browser polling the data file)
    sees the old file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)
