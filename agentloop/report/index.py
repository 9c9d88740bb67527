"""The index page (configuration, per-task table, the episode list's frame) and the data
file its list is built from, `data/episodes.js`.

The rows travel in a script file, not in the page: the episode pages load the same file to
find their neighbours in the list, and a page kept open while a run is watched reloads it
to see new episodes (`fetch` of a `file://` URL is blocked; a script element is not).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from agentloop.records import RunManifest
from agentloop.report.entries import ROW_FIELDS, EpisodeEntry, entry_row
from agentloop.report.kinds import EpisodeFlag
from agentloop.report.layout import Layout, write_atomic
from agentloop.report.render import environment
from agentloop.report.safejson import script_json
from agentloop.report.stats import task_rows

FLAG_LABELS = (
    (EpisodeFlag.REJECTED, "had a critic rejection"),
    (EpisodeFlag.VALIDATOR_FAILED, "had a validator failure"),
    (EpisodeFlag.ERROR, "had an error"),
    (EpisodeFlag.HUMAN, "had human feedback"),
)

# The episode list's columns after the thumbnail: (entry field, header). Every one sorts. The
# task is the start of the episode's id, and the goal is shown under it: the list fits a
# 1280 px window.
COLUMNS = (
    ("id", "episode and goal"), ("seed", "seed"), ("rollout", "rollout"), ("outcome", "outcome"),
    ("steps", "steps"), ("replans", "replans"), ("critic_rejections", "critic rejections"),
    ("validator_failures", "validator failures"), ("action_errors", "action errors"),
    ("final_progress", "final progress"), ("ret", "derived return"), ("duration_s", "duration"), ("flags", "flags"),
)


def _config(manifest: RunManifest) -> list[tuple[str, str]]:
    """The run's configuration as (field, text) pairs, nested values as JSON."""
    data = manifest.config.model_dump(mode="json")
    return [(k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for k, v in data.items()]


def data_script(entries: Sequence[EpisodeEntry], live: bool) -> str:
    """The text of `data/episodes.js`: the list's rows, a version that changes with them, and
    whether the report is being kept current."""
    rows = [entry_row(e) for e in entries]
    body = script_json({"fields": ROW_FIELDS, "rows": rows})
    version = hashlib.blake2b(f"{body}{live}".encode(), digest_size=8).hexdigest()
    return (f'window.AGENTLOOP_DATA = {body};\nwindow.AGENTLOOP_DATA.version = "{version}";\n'
            f"window.AGENTLOOP_DATA.live = {'true' if live else 'false'};\n")


def write_index(layout: Layout, manifest: RunManifest, entries: Sequence[EpisodeEntry], expected: int,
                live: bool) -> None:
    """Write the index page, then its data file (an open page reloads when the data changes)."""
    html = environment().get_template("index.html.j2").render(
        manifest=manifest, config=_config(manifest), tasks=task_rows(entries), total=len(entries),
        expected=expected, live=live, flags=FLAG_LABELS, columns=COLUMNS,
    )
    write_atomic(layout.index, html)
    write_atomic(layout.data, data_script(entries, live))
