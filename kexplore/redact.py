"""Secret-looking values replaced by *** in what kexplore saves or prints as evidence."""

from __future__ import annotations

import re

_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_KEYS = (
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|client[_-]?secret|credentials?|auth[_-]?token"
)
_PATTERNS = [
    # PEM private key blocks, to their END line (or the end of the text when it is cut)
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?P<secret>.*?)(?=-----END [A-Z ]*PRIVATE KEY-----|$)",
        re.S,
    ),
    # Authorization headers: Basic, Bearer, Token, Digest or a bare credential
    re.compile(
        r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?(?:(?:basic|bearer|token|digest|negotiate)\s+)?"
        r"(?P<secret>[^\s\"',;]+)"
    ),
    re.compile(r"(?i)\b(?:bearer|basic)\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})"),
    # --password X, --token=X, -p=X style flags
    re.compile(
        rf"(?i)(?<![\w-])--?[\w-]*(?:{_KEYS})(?:=|\s+)(?P<secret>{_QUOTED}|[^\s\"'-][^\s\"']*)"
    ),
    # env-style assignments: DB_PASS=…, STRIPE_KEY=…, GITHUB_TOKEN=…
    re.compile(
        r"\b[A-Z][A-Z0-9_]*_(?:KEY|PASS|PASSWD|PASSWORD|SECRET|TOKEN|PWD|CREDENTIALS?)\b"
        rf"\s*=\s*(?P<secret>{_QUOTED}|[^\s,;&]+)"
    ),
    # key: value and "key": "value" (JSON, YAML, query strings, logfmt)
    re.compile(rf"(?i)[\w.-]*(?:{_KEYS})[\"']?\s*[=:]\s*(?P<secret>{_QUOTED}|[^\s,;&\"'}}\]]+)"),
    # credentials in URLs: scheme://user:pw@host and redis://:pw@host
    re.compile(r"://[^:/@\s]*:(?P<secret>[^@/\s]+)@"),
    # key shapes: JWT, AWS, GitHub, Slack, Stripe, GCP
    re.compile(r"(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"),
    re.compile(r"(?P<secret>\b(?:AKIA|ASIA|AROA|AIDA)[0-9A-Z]{16}\b)"),
    re.compile(r"(?P<secret>\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}))"),
    re.compile(r"(?P<secret>\bxox[abposr]-[A-Za-z0-9-]{10,})"),
    re.compile(r"hooks\.slack\.com/services/(?P<secret>[A-Za-z0-9/]+)"),
    re.compile(r"(?P<secret>\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,})"),
    re.compile(r"(?P<secret>\bAIza[0-9A-Za-z_-]{35})"),
    re.compile(r"(?P<secret>\bya29\.[0-9A-Za-z_-]{20,})"),
]


def _mask(match: re.Match[str]) -> str:
    whole, base = match.group(0), match.start(0)
    start, end = match.span("secret")
    if start == end:
        return whole
    return whole[: start - base] + "***" + whole[end - base :]


def redact(text: str) -> str:
    """Replace secret-looking values (passwords, tokens, keys, URL credentials, PEM blocks,
    Authorization headers, key shapes of common providers) by ***."""
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    return text
