"""Checks of the platform's URL Application parameter: the URL Duo sends browsers back to.

DNS and TCP reuse the provider steps; TLS is verified against the system CAs (a browser's
view), or the parameter's own CA bundle for a private CA.
"""

from __future__ import annotations

import math
import ssl

from duoctl.config.model import Config
from duoctl.doctor.checks_network import (
    CERT_WARN_DAYS,
    MESSAGE_LIMIT,
    Resolver,
    _hostport,
    _name,
    _remaining_text,
    bounded_handshake,
    check_dns,
    check_tcp,
)
from duoctl.doctor.model import GLOBAL_SCOPE, CheckResult, fail, ok, skipped, skipped_after, warn
from duoctl.output import safe_text
from duoctl.platform_url import PlatformUrl, redirect_uri_for, redirect_uri_problem

IDS = ("platform.url", "platform.dns", "platform.tcp", "platform.tls", "platform.redirect")
_SET_HINT = "duoctl platform url set https://NAME (the instance's DNS name)"


def _renamed(result: CheckResult, check_id: str) -> CheckResult:
    # The provider steps name their result "dns", "tcp": the platform's are "platform.dns"...
    fix = result.fix.replace("Duo", "the platform") if result.fix else result.fix
    return result.__class__(GLOBAL_SCOPE, check_id, result.status, result.detail, fix, result.data)


def check_tls(
    host: str,
    port: int,
    address: str,
    ca_bundle: str | None,
    timeout: float,
    now: float,
    warn_days: float = CERT_WARN_DAYS,
) -> CheckResult:
    check_id = "platform.tls"
    ca_label = f"the CA bundle {ca_bundle}" if ca_bundle else "the system's trusted CAs"
    fix_ca = (
        "serve a certificate for that name from a trusted CA, or name the private CA: "
        "duoctl platform url set URL --ca-bundle FILE"
    )
    try:
        context = ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        return fail(
            GLOBAL_SCOPE, check_id, f"cannot load {ca_label}: {exc}", "give a readable PEM file"
        )
    where = _hostport(address, port)
    try:
        cert, version = bounded_handshake(host, port, address, context, timeout)
    except ssl.SSLCertVerificationError as exc:
        message = safe_text(exc.verify_message or exc, limit=MESSAGE_LIMIT)
        return fail(
            GLOBAL_SCOPE,
            check_id,
            f"the certificate {where} presents for {host} is not valid against {ca_label}: "
            f"{message}",
            fix_ca,
            verify_code=exc.verify_code,
        )
    except TimeoutError:
        return fail(
            GLOBAL_SCOPE,
            check_id,
            f"{where} completed no TLS handshake within {timeout:g} s",
            "check that the platform serves https on that port",
        )
    except (ssl.SSLError, OSError) as exc:
        reason = safe_text(getattr(exc, "reason", None) or exc, limit=MESSAGE_LIMIT)
        return fail(
            GLOBAL_SCOPE,
            check_id,
            f"TLS handshake with {where} failed: {reason}",
            "check that the platform serves https on that port",
        )
    not_after_text = safe_text(cert.get("notAfter", ""), limit=200)
    try:
        days_left = (float(ssl.cert_time_to_seconds(not_after_text)) - now) / 86400
    except ValueError:
        days_left = math.nan
    data = {
        "subject": _name(cert.get("subject")),
        "issuer": _name(cert.get("issuer")),
        "not_after": not_after_text,
        "days_left": None if math.isnan(days_left) else round(days_left, 1),
        "tls_version": version,
    }
    detail = (
        f"valid for {host}, issued by {data['issuer']}, verified against {ca_label}; "
        f"{_remaining_text(days_left)}"
    )
    if not math.isnan(days_left) and days_left < warn_days:
        return warn(
            GLOBAL_SCOPE,
            check_id,
            detail,
            "renew the platform's certificate before it expires",
            **data,
        )
    return ok(GLOBAL_SCOPE, check_id, detail, **data)


def check_platform(
    config: Config | None,
    resolver: Resolver,
    *,
    dns_timeout: float,
    connect_timeout: float,
    tls_timeout: float,
    now: float,
    warn_days: float = CERT_WARN_DAYS,
) -> list[CheckResult]:
    """Each check in :data:`IDS`; skipped with the reason when the parameter is unset."""
    if config is None:
        reason = "skipped: the config did not load"
        return [skipped(GLOBAL_SCOPE, i, reason, "fix the config checks first") for i in IDS]
    if config.platform_url is None:
        first = skipped(
            GLOBAL_SCOPE,
            "platform.url",
            "skipped: the URL Application parameter is not set",
            _SET_HINT,
        )
        return [first, *(skipped_after(GLOBAL_SCOPE, i, first) for i in IDS[1:])]
    param = PlatformUrl(config.platform_url, config.platform_ca_bundle)
    host, port = param.host or "", param.port
    results = [ok(GLOBAL_SCOPE, "platform.url", f"{param.url}", url=param.url)]
    dns, addresses = check_dns(GLOBAL_SCOPE, host, port, resolver, dns_timeout)
    results.append(_renamed(dns, "platform.dns"))
    if not addresses:
        results += [skipped_after(GLOBAL_SCOPE, "platform.tcp", results[-1])]
        results += [skipped_after(GLOBAL_SCOPE, "platform.tls", results[-2])]
    else:
        tcp, address = check_tcp(GLOBAL_SCOPE, port, addresses, connect_timeout)
        results.append(_renamed(tcp, "platform.tcp"))
        if address is None:
            results.append(skipped_after(GLOBAL_SCOPE, "platform.tls", results[-1]))
        else:
            results.append(
                check_tls(host, port, address, param.ca_bundle, tls_timeout, now, warn_days)
            )
    uri = redirect_uri_for(param.url or "")
    problem = redirect_uri_problem(uri)
    if problem is None:
        results.append(
            ok(GLOBAL_SCOPE, "platform.redirect", f"{uri} passes Duo's redirect URI rules")
        )
    else:
        results.append(
            fail(
                GLOBAL_SCOPE,
                "platform.redirect",
                f"Duo would refuse the redirect URI {uri}: {problem}",
                _SET_HINT,
            )
        )
    return results
