"""Users as the Admin API returns them (Duo Admin API docs, "Users" and "Phones"; duo_client
5.7.0 admin.py module docstring, "USERS" and "PHONES")."""

from __future__ import annotations

import hashlib
from typing import Any

from duoctl.emulator.admin.authlog import user_key
from duoctl.emulator.users import EmulatedUser, Outcome, Phone


def phone_json(phone: Phone, owner: str) -> dict[str, Any]:
    # A stable ID per user and number, "DP" + 18 like Duo's.
    digest = hashlib.sha256(f"{owner.casefold()}\0{phone.number}".encode()).hexdigest().upper()
    return {
        "phone_id": "DP" + digest[:18],
        "number": phone.number,
        "extension": "",
        "name": phone.name,
        "type": "Mobile",
        "platform": phone.platform,
        "model": phone.model,
        "capabilities": list(phone.capabilities),
        "activated": phone.activated,
        "sms_passcodes_sent": False,
        "predelay": None,
        "postdelay": None,
    }


def user_json(user: EmulatedUser) -> dict[str, Any]:
    return {
        "user_id": user_key(user.name),
        "username": user.name,
        "realname": "",
        "email": "",
        "status": user.status,
        # A user scripted as not enrolled is reported so, whichever way it was said.
        "is_enrolled": user.is_enrolled and user.outcome is not Outcome.NOT_ENROLLED,
        "last_login": None if user.last_login is None else int(user.last_login),
        "notes": "",
        "groups": [{"name": g, "group_id": _group_id(g)} for g in user.groups],
        "phones": [phone_json(p, user.name) for p in user.phones],
        "tokens": [],
        "u2ftokens": [],
        "webauthncredentials": [],
    }


def _group_id(name: str) -> str:
    return "DG" + hashlib.sha256(name.encode()).hexdigest().upper()[:18]
