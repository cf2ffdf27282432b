"""Property tests of config edits: whatever the layout, the file ends up meaning exactly
the change, and every comment outside the edited entry survives."""

from __future__ import annotations

import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duoctl.config.edit import edit_config
from duoctl.config.model import Provider
from foundation.helpers import write_private

NAMES = st.sampled_from(["alpha", "beta", "gamma", "d.e", "x-1", "y_2"])
COMMENT = st.sampled_from(["", "# note", "#", "   # indented note", "# [providers.fake]"])
SPACING = st.sampled_from([" = ", "=", "   =   "])
NEWLINE = st.sampled_from(["\n", "\r\n"])


@st.composite
def configs(draw: st.DrawFn) -> tuple[str, list[str], list[str]]:
    """(text, provider names, comment lines) for a hand-written-looking config."""
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    nl = draw(NEWLINE)
    comments: list[str] = []
    parts: list[str] = []
    if draw(st.booleans()):
        parts.append(f"schema_version{draw(SPACING)}1{nl}")
    if draw(st.booleans()):
        parts.append(
            f"{nl}[external_mfa]{nl}enabled = {draw(st.sampled_from(['true', 'false']))}{nl}"
        )
    for index, name in enumerate(names):
        intro = draw(COMMENT)
        if intro:
            intro = f"{intro} {index}"
            comments.append(intro)
            parts.append(f"{nl}{intro}{nl}")
        else:
            parts.append(nl)
        key = name if "." not in name else f'"{name}"'
        parts.append(f"[providers.{key}]{nl}")
        keys = [
            f'endpoint{draw(SPACING)}"api-{index:08d}.duosecurity.com"',
            f'client_id{draw(SPACING)}"DI{index:018d}"',
        ]
        if draw(st.booleans()):
            keys.append(f"enabled{draw(SPACING)}{draw(st.sampled_from(['true', 'false']))}")
        for line in draw(st.permutations(keys)):
            trailing = draw(st.sampled_from(["", "  # why"]))
            parts.append(f"{line}{trailing}{nl}")
    if draw(st.booleans()):
        parts.append(f"{nl}# not ours{nl}[zzz]{nl}answer = 42{nl}")
        comments.append("# not ours")
    return "".join(parts), names, comments


def _entry_lines(text: str, header: str) -> set[int]:
    """Line numbers of ``header`` and the key lines of its table (none if it is absent)."""
    lines = text.splitlines()
    if header not in lines:
        return set()
    start = lines.index(header)
    found = {start}
    for number in range(start + 1, len(lines)):
        if lines[number].startswith("["):
            break
        if lines[number].strip() and not lines[number].lstrip().startswith("#"):
            found.add(number)
    return found


OPERATIONS = st.sampled_from(["remove", "disable", "enable", "endpoint", "add", "mfa"])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(config=configs(), operation=OPERATIONS, pick=st.integers(min_value=0, max_value=10))
def test_edits_mean_the_change_and_keep_other_comments(
    tmp_path: Path, config: tuple[str, list[str], list[str]], operation: str, pick: int
) -> None:
    text, names, comments = config
    path = tmp_path / f"c{abs(hash((text, operation, pick)))}.toml"
    write_private(path, text.encode())
    before = tomllib.loads(text)
    target = names[pick % len(names)]

    with edit_config(path) as edit:
        if operation == "remove":
            edit.remove_provider(target)
        elif operation in ("disable", "enable"):
            edit.update_provider(target, enabled=operation == "enable")
        elif operation == "endpoint":
            edit.update_provider(target, endpoint="api-ffffffff.duosecurity.com")
        elif operation == "add":
            edit.add_provider(
                Provider(
                    name="new", endpoint="api-0000abcd.duosecurity.com", client_id="DI" + "9" * 18
                )
            )
        else:
            edit.set_external_mfa(True)

    after_text = path.read_bytes().decode()
    after = tomllib.loads(after_text)
    expected = {k: v for k, v in before.items() if k != "providers"}
    providers = {k: dict(v) for k, v in before["providers"].items()}
    if operation == "remove":
        del providers[target]
    elif operation in ("disable", "enable"):
        providers[target]["enabled"] = operation == "enable"
    elif operation == "endpoint":
        providers[target]["endpoint"] = "api-ffffffff.duosecurity.com"
    elif operation == "add":
        providers["new"] = {
            "type": "duo",
            "enabled": True,
            "endpoint": "api-0000abcd.duosecurity.com",
            "client_id": "DI" + "9" * 18,
        }
    else:
        expected["external_mfa"] = {**expected.get("external_mfa", {}), "enabled": True}
    if providers:
        expected["providers"] = providers
    expected["schema_version"] = 1
    after.setdefault("providers", {}) if providers else after.pop("providers", None)
    assert after == expected
    # Comments introducing other entries (and the foreign table) are all still there.
    for comment in comments:
        assert comment in after_text
    # Every line outside the edited entry's header and keys is still there, byte for byte.
    if operation == "add":
        exempt: set[int] = set()
    elif operation == "mfa":
        exempt = _entry_lines(text, "[external_mfa]")
    else:
        key = target if "." not in target else f'"{target}"'
        exempt = _entry_lines(text, f"[providers.{key}]")
    after_lines = after_text.splitlines()
    for number, line in enumerate(text.splitlines()):
        if line.strip() and number not in exempt:
            assert line in after_lines, (line, after_text)
    # Line endings are the file's own.
    if "\r\n" in text:
        assert "\n" not in after_text.replace("\r\n", "")
