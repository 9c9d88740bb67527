"""Static HTML report of a run."""

from agentloop.report.build import build_report

__all__ = ["build_report"]
