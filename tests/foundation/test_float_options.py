"""NaN and infinity are refused by every float option (issue 9: "NaN deadlines").

click's min/max checks let NaN through (every comparison with NaN is false), and a NaN
deadline never expires. The options are found by walking the real command tree, so an
option added later without the shared check fails here.
"""

from __future__ import annotations

import click
import click.types
import pytest
import typer

from duoctl.cli.command_tree import build_app
from duoctl.cli.options import finite_float
from duoctl.errors import ExitCode
from foundation.helpers import run_duoctl


def _float_options() -> list[tuple[list[str], str]]:
    """(command words, option flag) for every float option of every command."""
    found: list[tuple[list[str], str]] = []

    def walk(command: click.Command, words: list[str]) -> None:
        for param in command.params:
            if isinstance(param, click.Option) and isinstance(
                param.type, click.types.FloatParamType
            ):
                found.append((words, max(param.opts, key=len)))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, [*words, name])

    walk(typer.main.get_command(build_app()), [])
    return found


FLOAT_OPTIONS = _float_options()


def test_the_walk_finds_the_known_float_options() -> None:
    # Guards the walk itself: an empty list would make the test below pass vacuously.
    assert (["test-login"], "--network-timeout") in FLOAT_OPTIONS
    assert (["demo"], "--delay") in FLOAT_OPTIONS
    assert len(FLOAT_OPTIONS) >= 4


@pytest.mark.parametrize(("words", "flag"), FLOAT_OPTIONS, ids=lambda v: " ".join(v) or "-")
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_every_float_option_refuses_nan_and_infinity(
    words: list[str], flag: str, value: str
) -> None:
    result = run_duoctl([*words, flag, value])

    assert result.returncode == ExitCode.USAGE, result.stderr
    assert f"Invalid value for '{flag}'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_json_envelope_carries_the_usage_error() -> None:
    result = run_duoctl(["test-login", "--network-timeout", "nan", "--json"])

    assert result.returncode == ExitCode.USAGE
    assert '"kind": "usage"' in result.stdout
    assert "not a finite number" in result.stdout


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_finite_float_refuses(value: float) -> None:
    with pytest.raises(typer.BadParameter, match="not a finite number"):
        finite_float(value)


@pytest.mark.parametrize("value", [0.0, 1.5, 295.0, -3.0])
def test_finite_float_passes_finite_values_through(value: float) -> None:
    assert finite_float(value) == value
