"""The Admin API commands on a headless server, as root: no D-Bus session, so the admin
key goes where the providers' secrets go there, systemd-creds under /var/lib/duoctl (here
under DUOCTL_SYSTEM_ROOT); then provider create and test-login, and the canary on disk."""

from __future__ import annotations

import os
import time
from pathlib import Path

from duoctl.emulator import EmulatedUser, Emulator, Outcome
from duoctl.secrets.systemd_creds import find_binary
from server.helpers import files_holding, run, server_env
from support.real_components import require_real


def test_admin_login_and_provider_create_on_systemd_creds(tmp_path: Path) -> None:
    require_real("root", os.geteuid() == 0, "the systemd-creds leg runs as root")
    require_real("systemd-creds", find_binary() is not None, "systemd-creds not found")
    started = time.time()
    root = tmp_path / "system-root"
    env = server_env(DUOCTL_SYSTEM_ROOT=str(root))
    env.pop("DUOCTL_CONFIG", None)
    users = [EmulatedUser("alice", Outcome.APPROVE, delay=0)]
    with Emulator(users, state_dir=tmp_path / "emu") as emu:
        login = run(
            "--system", "admin", "login", "--host", emu.api_host, "--ikey", emu.admin_ikey,
            "--ca-bundle", emu.ca_bundle, "--skey-stdin",
            env=env, input=emu.admin_skey + "\n",
        )  # fmt: skip
        assert login.code == 0, login.stderr
        assert "secret key in systemd-creds" in login.stderr
        (creds,) = (root / "var/lib/duoctl/credentials").iterdir()
        assert "_admin-skey.cred" in {p.name for p in creds.iterdir()}
        create = run("--system", "provider", "create", "prod", env=env)
        assert create.code == 0, create.stderr
        (app,) = [i for i in emu.integrations.all() if i.name == "prod"]
        tested = run(
            "--system", "test-login", "prod", "-u", "alice", "--browser", "follow", env=env
        )
        assert tested.code == 0, tested.stderr
    # Where duoctl writes (the system root's /etc and /var/lib, HOME), not the emulator's
    # own state dir, which may keep its key in a file as the emulator's banner says.
    roots = [root, Path(os.environ.get("HOME", "/root"))]
    outputs = "".join(r.stdout + r.stderr for r in (login, create, tested))
    for secret in (emu.admin_skey, app.secret_key):
        assert files_holding(secret, roots, since=started) == []
        assert secret not in outputs
