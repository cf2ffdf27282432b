"""The emulated Duo prompt's HTML: the push-waiting page and the error pages. (The pages
duoctl's own callback listener shows are testlogin/callback_pages.py.)

Everything echoed from a request (user names, device names) goes through ``html.escape``:
the user name comes from a JWT an application built from its own user's input.
"""

from __future__ import annotations

from html import escape

PROMPT_PATH = "/emulator/prompt"

_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}"
    "main{max-width:26rem;margin:4rem auto;background:#fff;border-radius:8px;"
    "padding:2rem;box-shadow:0 1px 4px #0002}"
    "h1{font-size:1.3rem}.brand{color:#6bbf4e;font-weight:700}"
    "form{display:inline-block;margin-right:.5rem}"
    "button{font-size:1rem;padding:.5rem 1.5rem;border-radius:4px;border:1px solid #888}"
    "button.approve{background:#2e7d32;color:#fff}button.deny{background:#c62828;color:#fff}"
)


def _document(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><p class="brand">Duo emulator (duoctl)</p>{body}</main></body></html>\n'
    ).encode()


def prompt_page(*, username: str, device_name: str, factor: str, txid: str) -> bytes:
    """The 'push sent' page with Approve and Deny buttons, each a form POST."""
    forms = "".join(
        f'<form method="post" action="{PROMPT_PATH}">'
        f'<input type="hidden" name="txid" value="{escape(txid)}">'
        f'<button type="submit" class="{action}" name="action" value="{action}">'
        f"{label}</button></form>"
        for action, label in (("approve", "Approve"), ("deny", "Deny"))
    )
    body = (
        f"<h1>Push sent to {escape(device_name)}</h1>"
        f"<p>Verifying <strong>{escape(username)}</strong> with {escape(factor)}. "
        "Answer the push below, as the user would on their phone.</p>"
        f"{forms}"
    )
    return _document("Duo Push sent", body)


def error_page(title: str, message: str) -> bytes:
    return _document(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")


def enrollment_page() -> bytes:
    # Duo's answer to an unknown user under the default New User Policy: its enrollment pages.
    # The emulator cannot enroll anyone, so the browser stays here, as a user would.
    return error_page(
        "Enrollment required",
        "This user is not enrolled in Duo and the new user policy requires enrollment. "
        "Add the user to the emulator, or choose another new user policy.",
    )


def timed_out_page() -> bytes:
    return error_page("Login timed out", "The push was not answered in time. Try again.")


def not_json_page(status: int) -> bytes:
    # What a proxy or load balancer in front of Duo answers when it is unhappy.
    return _document(f"{status} Bad Gateway", f"<h1>{status}</h1><p>upstream error</p>")
