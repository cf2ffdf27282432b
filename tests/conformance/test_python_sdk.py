"""Duo's official Python SDK (duo_universal), unmodified, through every scenario, 20 times."""

from __future__ import annotations

import random
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duo_universal
import pytest
import requests

from .conftest import MAX_DELAY, REDIRECT_URI, RUNS, SCENARIOS, Duo, Scenario
from .expectations import check

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")


def attempt(duo: Duo, scenario: Scenario) -> dict[str, Any]:
    client = duo_universal.Client(
        duo.client_id,
        duo.client_secret,
        duo.host(scenario),
        REDIRECT_URI,
        duo_certs=str(duo.ca_bundle),
    )
    seen: dict[str, Any] = {"health": client.health_check()["stat"]}
    state = client.generate_state()
    seen["state"] = state
    # A browser's first hop: one GET, the redirect not followed.
    hop = requests.get(
        client.create_auth_url(scenario.username, state),
        verify=str(duo.ca_bundle),
        allow_redirects=False,
        timeout=10,
    )
    seen["authorize_status"] = hop.status_code
    location = hop.headers.get("Location")
    seen["callback"] = None
    if location is None:
        return seen
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    seen["callback"] = params
    if "duo_code" in params:
        token = client.exchange_authorization_code_for_2fa_result(
            params["duo_code"], scenario.username
        )
        seen["token_status"] = token["auth_result"]["status"]
        seen["preferred_username"] = token["preferred_username"]
    return seen


def test_python_sdk_completes_every_scenario_every_run(duo: Duo) -> None:
    rng = random.Random()
    for run in range(RUNS):
        for scenario in SCENARIOS:
            seen = attempt(duo, scenario)
            seen["run"] = run
            check(scenario, seen)
        time.sleep(rng.uniform(0, MAX_DELAY))
