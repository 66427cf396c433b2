"""Redaction: one row per format secrets come in; the text around a secret is kept."""

from __future__ import annotations

import pytest

from kexplore.redact import redact

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7xkq\nZmFrZWtleQ==\n"
    "-----END RSA PRIVATE KEY-----"
)

# (format, text, secret, text that must survive)
FORMATS = [
    ("JSON password", '{"password": "hunter2!", "user": "app"}', "hunter2!", '"user": "app"'),
    ("JSON client_secret", '{"client_secret":"c1i3nt-s3cret"}', "c1i3nt-s3cret", "client_secret"),
    ("JSON api_key", '"api_key": "k3y-value-123"', "k3y-value-123", "api_key"),
    ("YAML token", "token: abcdef123456", "abcdef123456", "token:"),
    ("query string", "GET /cb?user=a&access_token=QWERTY12345&x=1", "QWERTY12345", "&x=1"),
    ("key=value", "password=s3cr3t-value other", "s3cr3t-value", "other"),
    ("URL user:pw", "https://admin:pa55w0rd@git.example.com/repo", "pa55w0rd", "git.example.com"),
    ("URL :pw", "redis://:r3dis-pw@redis:6379/0", "r3dis-pw", "redis:6379"),
    ("URL in env", "DATABASE_URL=postgres://app:hunter2@pg:5432/db", "hunter2", "pg:5432"),
    ("--password X", "mysql --password Sup3rSecret -h db", "Sup3rSecret", "-h db"),
    ("--token=X", "vault login --token=hvs.CAESIJ4 --x", "hvs.CAESIJ4", "--x"),
    ("--api-key X", "cli --api-key 'a b c' run", "a b c", "run"),
    ("Authorization Basic", "Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "Authorization"),
    ("Authorization Bearer", "authorization: Bearer abc.def.ghi123", "abc.def.ghi123", "Bearer"),
    ("bare Bearer", "sent Bearer abcdefghijklmnop", "abcdefghijklmnop", "sent"),
    (
        "JWT",
        "token eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4",
        "eyJhbGciOiJIUzI1",
        "token",
    ),
    ("GitHub PAT", "push ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "ghp_aBcDeFgHiJ", "push"),
    (
        "GitHub fine-grained",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstu",
        "11ABCDEFG",
        "",
    ),
    ("Slack token", "slack xoxb-123456789012-abcdefABCDEF", "xoxb-123456789012", "slack"),
    (
        "Slack webhook",
        "post https://hooks.slack.com/services/T000/B000/XXXXXXXX",
        "T000/B000/XXXXXXXX",
        "hooks.slack.com",
    ),
    (
        "Stripe key",
        "charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "4eC39HqLyjWDarjtT1zdp7dc",
        "charge",
    ),
    ("AWS access key", "key AKIAABCDEFGHIJKLMNOP used", "AKIAABCDEFGHIJKLMNOP", "used"),
    ("AWS secret", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", "wJalrXUtnFEMI", "aws_secret"),
    ("GCP API key", "maps key=AIzaSyD-abcdefghijklmnopqrstuvwxyz01234", "AIzaSyD-abcdefg", "maps"),
    ("GCP OAuth token", "ya29.a0AfH6SMBxxxxxxxxxxxxxxxxxxxx in header", "a0AfH6SMB", "in header"),
    ("PEM block", f"key:\n{PEM}\ndone", "MIIEpAIBAAKCAQEA7xkq", "done"),
    ("PEM cut short", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq", "MIIEvQIBADANBgkq", "BEGIN"),
    (
        "PEM in JSON",
        '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END',
        "MIIEvQ",
        "",
    ),
    ("*_KEY=", "STRIPE_KEY=abc123def export", "abc123def", "export"),
    ("*_PASS=", "DB_PASS='p w' next", "p w", "next"),
    ("*_SECRET=", "JWT_SECRET=topsecretvalue", "topsecretvalue", "JWT_SECRET="),
    ("*_TOKEN=", "export GITHUB_TOKEN=gho_short", "gho_short", "export"),
]


@pytest.mark.parametrize(("fmt", "text", "secret", "kept"), FORMATS, ids=[f[0] for f in FORMATS])
def test_each_format_is_redacted(fmt: str, text: str, secret: str, kept: str) -> None:
    out = redact(text)
    assert secret not in out, fmt
    assert "***" in out and kept in out


@pytest.mark.parametrize(
    "text",
    [
        "connect to cart.shop.svc.cluster.local:8080 timed out",
        "GET /healthz 200 in 3ms",
        'level=info msg="listening on :8080" component=server',
        "kubectl get pods -n shop -o wide",
        "--tail=200 --previous",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text
