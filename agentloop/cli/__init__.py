"""`agentloop` command line (typer + rich). Each command lives in its own module here.

User mistakes (a wrong env id, a bad flag, a missing file) are answered with one line on
stderr and exit code 2, never with a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

import click
import typer
from rich.console import Console

from agentloop.errors import AgentLoopError, ConfigError

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
        hint = f" (did you mean {' or '.join(e.possibilities)}?)" if e.possibilities else ""
        err_console.print(f"error: no such option {e.option_name}{hint}; see --help", highlight=False)
        return 2
    except _USAGE as e:
        if type(e).__name__ == "NoArgsIsHelpError":
            return 2
        err_console.print(f"error: {e.format_message()}; see --help", highlight=False)
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
        err_console.print(f"error: {e}", highlight=False)
        return 2
    except AgentLoopError as e:
        err_console.print(f"error: {e}", highlight=False)
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted; finished episodes are kept, rerun with --resume to continue")
        return 130
    return 0


def entry() -> None:
    sys.exit(main())
