"""The least a script needs to do for one Duo Universal Prompt login against the emulator:
the yardstick ``bench/test_login.py`` holds ``duoctl test-login`` to.

It does the same work duoctl does, with nothing around it: read the Client Secret from the
keyring, health check, build the auth URL, follow the authorize redirect with ``requests``
(as ``--browser follow`` does), receive the callback on a real loopback HTTP listener (not
just parse the Location header: duoctl's listener is part of what is measured), and exchange
the code with ``duo_universal``. No config parsing, no CLI framework, no rendering.

Usage: reference_login.py SERVICE NAME HOST CLIENT_ID CA_BUNDLE USERNAME
Exits 0 when Duo allowed the login.
"""

from __future__ import annotations

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

# Every request goes to loopback. bench/test_login.py strips these from the environment
# already; dropping them here too keeps the script safe when run by hand, because
# duo_universal calls requests.post, which reads them.
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


def main(argv: list[str]) -> int:
    service, name, host, client_id, ca_bundle, username = argv
    for variable in PROXY_VARIABLES:
        os.environ.pop(variable, None)
    import duo_universal
    import keyring
    import requests

    secret = keyring.get_password(service, name)
    if secret is None:
        print("no secret in the keyring", file=sys.stderr)
        return 5

    received: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            received.update({k: v[0] for k, v in query.items()})
            body = b"done"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()

    client = duo_universal.Client(
        client_id, secret, host, f"http://localhost:{port}/callback", duo_certs=ca_bundle
    )
    client.health_check()
    state = client.generate_state()
    auth_url = client.create_auth_url(username, state)

    # trust_env off: no proxy variable or .netrc from the environment applies to these.
    with requests.Session() as session:
        session.trust_env = False
        prompt = session.get(auth_url, verify=ca_bundle, allow_redirects=False, timeout=30)
        # Follow the redirect to the listener, as a browser (and duoctl's --browser follow)
        # does.
        session.get(prompt.headers["Location"], allow_redirects=False, timeout=30)
    thread.join()
    server.server_close()
    if received.get("state") != state or "duo_code" not in received:
        print("bad callback", file=sys.stderr)
        return 11

    claims = client.exchange_authorization_code_for_2fa_result(received["duo_code"], username)
    status = claims.get("auth_result", {}).get("status")
    print(status)
    return 0 if status == "allow" else 6


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
