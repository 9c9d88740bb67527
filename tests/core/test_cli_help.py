"""The command line, its settings models and the README agree: each setting is declared once
(a model's field), the options are made from the fields, and the README's synopsis is written
from the commands themselves."""

import re
from enum import Enum
from pathlib import Path
from typing import Literal, get_args, get_origin

import pytest
import typer

from agentloop.cli import app, main
from agentloop.cli.export import FORMAT_FORMS
from agentloop.cli.synopsis import in_readme, summary, synopsis
from agentloop.records import CriticKind, CriticSpec, RunConfig
from agentloop.serve.config import ServeConfig

README = Path(__file__).parents[2] / "README.md"
COMMANDS = typer.main.get_command(app).commands
# Fields whose option has another name: the env's arguments come as KEY=VALUE pairs.
RENAMED = {"env_kwargs": "env_arg"}
# Options whose default differs from the field's: `--out` picks a fresh folder under the field's.
OWN_DEFAULT = {"out", "token"}


def test_readme_synopsis_is_written_from_the_commands():
    text = README.read_text()
    block = re.search(r"## Command line\n\n```bash\n(.*?)```\n", text, re.S).group(1)
    assert block == synopsis(app), "rewrite it: python -m agentloop.cli.synopsis README.md"
    assert in_readme(text, block) == text and in_readme(text, "x\n") != text


def _option_values(default):
    return default.value if isinstance(default, Enum) else default


@pytest.mark.parametrize(("command", "model"), [("run", RunConfig), ("serve", ServeConfig)])
def test_every_setting_is_an_option_with_the_fields_help_and_default(command, model):
    params = {p.name: p for p in COMMANDS[command].params}
    for name, field in model.model_fields.items():
        param = params.get(RENAMED.get(name, name))
        assert param is not None, f"{model.__name__}.{name} has no option on `agentloop {command}`"
        assert param.help == field.description and field.description, name
        if name not in OWN_DEFAULT and name not in RENAMED and param.required is False:
            assert _option_values(param.default) == field.get_default(call_default_factory=True), name
        if get_origin(field.annotation) is Literal:  # the option's choices are the field's values
            choices = param.type_descriptor.annotation
            assert [m.value for m in choices] == list(get_args(field.annotation)), name


def test_export_formats_are_the_exports():
    from agentloop.exports import FORMATS

    assert FORMAT_FORMS.split("|") == list(FORMATS)


@pytest.mark.parametrize("command", ["run", "serve", "export"])
def test_a_commands_description_is_one_whole_line(command):
    first = COMMANDS[command].help.strip().split("\n\n")[0]
    assert "\n" not in first and summary(COMMANDS[command]).endswith(".")


def test_the_critic_spec_is_read_in_one_place():
    for text in ("none", "rule", "vlm", "prm:models/a+b", "rule+prm:models/prm"):
        assert str(CriticSpec.parse(text)) == text
    spec = RunConfig(env_id="agentloop/toy.switches", critic="rule+prm:models/prm").critic_spec
    assert spec == CriticSpec(kind=CriticKind.LEARNED, model="prm:models/prm", rule_first=True)
    for bad in ("prm:", "rule+", "rule+vlm", "learned"):
        with pytest.raises(ValueError, match="expected none, rule, vlm"):
            CriticSpec.parse(bad)


def test_a_bad_setting_is_one_line_naming_it(capsys):
    assert main(["run", "agentloop/toy.switches", "--critic", "rule+vlm"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: critic: critic 'rule+vlm': expected") and "rule+prm:PATH" in err
    assert "Value error" not in err and "\n" not in err


def test_a_run_folder_in_use_is_refused_without_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "agentloop/toy.switches", "--out", str(out), "--no-frames"]) == 0
    assert main(["run", "agentloop/toy.switches", "--out", str(out)]) == 2
    assert "already holds a run; pass --resume" in capsys.readouterr().err
