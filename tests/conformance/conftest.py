"""The conformance suite: Duo's official SDKs, unmodified, through every outcome the emulator
scripts. One emulator per New User Policy, all sharing one client ID and secret so a driver
can switch between them by host alone."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from duoctl.emulator import EmulatedUser, Emulator, NewUserPolicy, Outcome
from duoctl.emulator.lifecycle import generate_client_id, generate_client_secret

REDIRECT_URI = "http://localhost:8080/duo-callback"
RUNS = 20
MAX_DELAY = 0.3  # seconds: the random pause between runs stays sub-second and cheap
PUSH_TIMEOUT = 0.2  # seconds the emulator holds an unanswered push before "timed out"

USERS = [
    EmulatedUser("alice", Outcome.APPROVE),
    EmulatedUser("bob", Outcome.DENY),
    EmulatedUser("fred", Outcome.FRAUD),
    EmulatedUser("lou", Outcome.LOCKOUT),
    EmulatedUser("tim", Outcome.TIMEOUT),
    EmulatedUser("nora", Outcome.NOT_ENROLLED),
    EmulatedUser("pat", Outcome.POLICY_DENY),
]


@dataclass(frozen=True)
class Scenario:
    name: str
    username: str
    policy: NewUserPolicy = NewUserPolicy.ENROLL


SCENARIOS = [
    Scenario("approve", "alice"),
    Scenario("deny", "bob"),
    Scenario("fraud", "fred"),
    Scenario("lockout", "lou"),
    Scenario("timeout", "tim"),
    Scenario("not enrolled", "nora"),
    Scenario("policy deny", "pat"),
    # A user the emulator has never heard of, under each New User Policy.
    Scenario("unknown, enroll", "newcomer", NewUserPolicy.ENROLL),
    Scenario("unknown, allow", "newcomer", NewUserPolicy.ALLOW),
    Scenario("unknown, deny", "newcomer", NewUserPolicy.DENY),
]


@dataclass(frozen=True)
class Duo:
    """Three emulators (one per policy) behind one set of credentials."""

    client_id: str
    client_secret: str
    emulators: dict[NewUserPolicy, Emulator]
    ca_bundle: Path  # every emulator's CA, for clients that take one file

    def host(self, scenario: Scenario) -> str:
        return self.emulators[scenario.policy].api_host


@pytest.fixture(scope="module")
def duo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Duo]:
    client_id, secret = generate_client_id(), generate_client_secret()
    with contextlib.ExitStack() as stack:
        emulators = {
            policy: stack.enter_context(
                Emulator(
                    USERS,
                    client_id=client_id,
                    client_secret=secret,
                    new_user_policy=policy,
                    push_timeout=PUSH_TIMEOUT,
                )
            )
            for policy in NewUserPolicy
        }
        bundle = tmp_path_factory.mktemp("conformance") / "ca-bundle.pem"
        bundle.write_bytes(b"".join(e.ca_bundle.read_bytes() for e in emulators.values()))
        yield Duo(client_id, secret, emulators, bundle)
