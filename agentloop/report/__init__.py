"""The static report of a run: an index (configuration, per-task table, a filterable episode
list) and one page per episode, opened from the file system without a server."""

from agentloop.report.site import BuildResult, build_report, build_site
from agentloop.report.watch import watch

__all__ = ["BuildResult", "build_report", "build_site", "watch"]
