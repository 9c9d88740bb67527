"""`agentloop` command line (typer + rich). Each command lives in its own module here.

User mistakes (a wrong env id, a bad flag, a missing file) are answered with one line on
stderr and exit code 2, never with a traceback.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import click
import typer
from rich.console import Console

from agentloop.errors import AgentLoopError, ConfigError
from agentloop.recording import RunDir

_tc: ModuleType
try:  # typer >= 0.20 vendors click; accept both families of exceptions
    from typer._click import exceptions as _tc
except ImportError:  # pragma: no cover
    _tc = click.exceptions

_NO_SUCH_OPTION = (click.exceptions.NoSuchOption, _tc.NoSuchOption)
_USAGE = (click.UsageError, _tc.UsageError)
_EXIT = tuple({click.exceptions.Exit, typer.Exit})
_ABORT = tuple({click.Abort, typer.Abort})

app = typer.Typer(
    name="agentloop",
    help="Run vision-language agents in real environments, check their work, record it for training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
# Piped output (CI logs, files) gets wide tables instead of rich's 80-column default.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, soft_wrap=True)



def open_run(path: Path) -> RunDir:
    """The run folder at `path`; a path that is not there is said so, not called "not a run folder"."""
    if not path.exists():
        raise ConfigError(f"{path}: no such folder")
    if not path.is_dir():
        raise ConfigError(f"{path} is a file; name a run folder (it holds run.json)")
    return RunDir(path)


def _close(option: str, possibilities: list[str]) -> list[str]:
    """The options a mistyped one most likely meant: one it is a prefix of (or that is a prefix
    of it), else those spelled nearly alike; click's own list reaches further (--model for --episode)."""
    bare = option.lstrip("-")
    prefixed = [p for p in possibilities if p.lstrip("-").startswith(bare) or bare.startswith(p.lstrip("-"))]
    return prefixed or difflib.get_close_matches(option, possibilities, n=2, cutoff=0.8)


def _message(e: Exception) -> str:
    """An error's one line, without pydantic's "Value error, " before what a validator said."""
    return str(e).replace("Value error, ", "")


# Command modules; each registers its commands on `app` when imported.
COMMAND_MODULES = ("envs", "run", "show", "export", "report", "serve")
for _name in COMMAND_MODULES:
    try:
        importlib.import_module(f"agentloop.cli.{_name}")
    except ModuleNotFoundError as _e:
        if _e.name != f"agentloop.cli.{_name}":
            raise


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the process's exit code."""
    os.environ.setdefault("MUJOCO_GL", "egl")
    try:
        app(args=argv, standalone_mode=False, prog_name="agentloop")
    except _NO_SUCH_OPTION as e:
        close = _close(e.option_name, list(e.possibilities or []))
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        err_console.print(f"error: no such option {e.option_name}{hint}; see --help", highlight=False)
        return 2
    except _USAGE as e:
        if type(e).__name__ == "NoArgsIsHelpError":
            return 2
        err_console.print(f"error: {_message(Exception(e.format_message()))}; see --help", highlight=False)
        return 2
    except _EXIT as e:
        return int(getattr(e, "exit_code", 0))
    except _ABORT:
        err_console.print("aborted")
        return 130
    except _tc.ClickException as e:
        err_console.print(f"error: {e.format_message()}", highlight=False)
        return 2
    except (ConfigError, FileNotFoundError) as e:
        err_console.print(f"error: {_message(e)}", highlight=False)
        return 2
    except AgentLoopError as e:
        err_console.print(f"error: {_message(e)}", highlight=False)
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted; finished episodes are kept, rerun with --resume to continue")
        return 130
    return 0


def entry() -> None:
    sys.exit(main())
