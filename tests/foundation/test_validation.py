"""Validators and the config model, property-tested: what is accepted round-trips, and
arbitrary input fails only with the domain's own errors."""

from __future__ import annotations

import contextlib
import re
import string
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duoctl.config.edit import render_provider_block_fields
from duoctl.config.model import Provider, config_from_data
from duoctl.errors import ConfigError, ValidationError
from duoctl.validation import (
    split_endpoint,
    validate_client_id,
    validate_client_secret,
    validate_endpoint,
    validate_name,
)

NAME_START = string.ascii_letters + string.digits
NAMES = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(NAME_START),
    st.text(alphabet=NAME_START + "._-", max_size=63),
)
CLIENT_IDS = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=20, max_size=20)
SECRETS = st.text(alphabet=string.ascii_letters + string.digits, min_size=40, max_size=40)
LABELS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
HOSTS = st.lists(LABELS, min_size=1, max_size=4).map(".".join)
PORTS = st.integers(1, 65535)

# Values TOML can hold, nested a little: what a hand-edited config might contain.
TOML_SCALARS = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=30), st.floats()
)
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(["schema_version", "external_mfa", "providers", "other", "enabled"])


@given(NAMES)
def test_valid_names_round_trip(name: str) -> None:
    assert validate_name(name) == name


@given(st.text(max_size=80))
def test_names_outside_the_grammar_are_refused(name: str) -> None:
    ok = (
        0 < len(name) <= 64 and name[0] in NAME_START and all(c in NAME_START + "._-" for c in name)
    )
    if ok:
        assert validate_name(name) == name
    else:
        with pytest.raises(ValidationError, match="invalid provider name"):
            validate_name(name)


@given(CLIENT_IDS, st.sampled_from(["", " ", "\n", "\t "]))
def test_client_ids_round_trip_stripped(client_id: str, pad: str) -> None:
    assert validate_client_id(pad + client_id + pad) == client_id


def _error(validator: Callable[[str], str], value: str) -> ValidationError | None:
    try:
        validator(value)
    except ValidationError as exc:
        return exc
    return None


@given(st.text(max_size=30))
def test_client_id_accepts_exactly_the_grammar(value: str) -> None:
    stripped = value.strip()
    valid = len(stripped) == 20 and all(
        c in string.ascii_uppercase + string.digits for c in stripped
    )
    error = _error(validate_client_id, value)
    assert (error is None) == valid
    if error is not None:
        assert "Client ID" in error.message


@given(SECRETS)
def test_secrets_round_trip(secret: str) -> None:
    assert validate_client_secret(secret + "\n") == secret


SECRET_MESSAGE = re.compile(
    r"invalid Client Secret: (it must be exactly 40 characters, got \d+"
    r"|only letters and digits are allowed)"
)


@given(st.text(max_size=50))
def test_secret_errors_never_echo_the_value(value: str) -> None:
    # A mistyped real secret must not land in a terminal log: the message is one of two
    # fixed texts, whatever the input.
    error = _error(validate_client_secret, value)
    if error is not None:
        assert SECRET_MESSAGE.fullmatch(error.message)
        assert error.hint is None or "Duo Admin Panel" in error.hint


@given(HOSTS, st.one_of(st.none(), PORTS))
def test_endpoints_round_trip(host: str, port: int | None) -> None:
    endpoint = host if port is None else f"{host}:{port}"
    assert validate_endpoint(endpoint) == endpoint
    assert split_endpoint(endpoint) == (host, port or 443)


@given(st.ip_addresses(), PORTS)
def test_ip_literal_endpoints(address: Any, port: int) -> None:
    text = f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"
    assert validate_endpoint(text) == text
    assert split_endpoint(text) == (str(address), port)


@given(st.text(max_size=60))
def test_endpoint_errors_are_validation_errors(value: str) -> None:
    with contextlib.suppress(ValidationError):
        validate_endpoint(value)


@settings(max_examples=60)
@given(st.dictionaries(KEYS, TOML_VALUES, max_size=4))
def test_config_from_data_raises_only_config_errors(data: dict[str, Any]) -> None:
    with contextlib.suppress(ConfigError):
        config_from_data(Path("c.toml"), data)


@settings(max_examples=60)
@given(
    st.dictionaries(
        NAMES,
        st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["duo", "okta", 1]),
                "enabled": st.one_of(st.booleans(), st.just("yes")),
                "endpoint": st.one_of(HOSTS, st.text(max_size=10), st.integers()),
                "client_id": st.one_of(CLIENT_IDS, st.text(max_size=21)),
                "ca_bundle": st.one_of(st.text(max_size=10), st.booleans()),
                "clientid": st.just("x"),
            },
        ),
        max_size=3,
    )
)
def test_provider_tables_raise_only_config_errors(providers: dict[str, Any]) -> None:
    try:
        config = config_from_data(Path("c.toml"), {"providers": providers})
    except ConfigError:
        return
    assert set(config.providers) == set(providers)


@given(NAMES, HOSTS, CLIENT_IDS, st.booleans(), st.one_of(st.none(), st.text(max_size=20)))
def test_rendered_provider_block_parses_back(
    name: str, endpoint: str, client_id: str, enabled: bool, ca_bundle: str | None
) -> None:
    provider = Provider(name, endpoint, client_id, enabled=enabled, ca_bundle=ca_bundle)
    fields = {key: value for key, value in provider.to_dict().items() if key != "name"}
    data = tomllib.loads(render_provider_block_fields(name, fields))
    config = config_from_data(Path("c.toml"), data)
    assert config.providers == {name: provider}
