"""veilgate with TLS on the listener and a local access token, as a user sets it up: a dev CA
and server certificate from ``scripts/dev-cert.sh``, ``server.tls_cert``/``tls_key`` and
``server.access_token_env`` by environment. The official SDKs trust the CA through
``http_client=DefaultHttpxClient(verify=ssl.create_default_context(cafile="ca.pem"))`` (the
SDK's own subclass of its httpx client: ``httpx.Client`` in older releases, ``httpx2.Client``
in the pinned ones) and send the token as their ``api_key``; curl uses ``--cacert``. The
token never reaches the upstream.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess

import anthropic
import openai
import pytest

from conftest import ROOT, Proxy, binary
from fake_upstream import (
    EMAIL,
    USER_TEXT,
    USER_TEXT_PII,
    assert_all_restored,
    assert_leaks_none,
)

TOKEN = "vg-local-9d41c7e2a85b"
MODEL = "gpt-fake-1"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (scripts/dev-cert.sh needs it)")
    out = tmp_path_factory.mktemp("pki")
    subprocess.run([str(ROOT / "scripts" / "dev-cert.sh"), str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def secure(fake_upstream, pki, tmp_path_factory):
    p = Proxy(
        binary(),
        fake_upstream,
        tmp_path_factory.mktemp("veilgate-tls"),
        {
            "VEILGATE__SERVER__TLS_CERT": str(pki / "server.pem"),
            "VEILGATE__SERVER__TLS_KEY": str(pki / "server.key"),
            "VEILGATE__SERVER__ACCESS_TOKEN_ENV": "VEILGATE_TEST_LOCAL_TOKEN",
            "VEILGATE_TEST_LOCAL_TOKEN": TOKEN,
        },
    )
    assert p.scheme == "https", p.log
    yield p
    p.stop()
    assert TOKEN not in p.log


@pytest.fixture
def upstream(fake_upstream, secure):
    fake_upstream.reset()
    yield fake_upstream
    assert secure.alive(), secure.log


def sdk_client(sdk, base_url, pki, api_key=TOKEN):
    """An OpenAI or Anthropic client (``sdk`` is the module) that trusts only the dev CA."""
    ca = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    client_class = sdk.OpenAI if sdk is openai else sdk.Anthropic
    return client_class(
        base_url=base_url, api_key=api_key, max_retries=0, timeout=20, http_client=sdk.DefaultHttpxClient(verify=ca)
    )


def openai_client(secure, pki, api_key=TOKEN):
    return sdk_client(openai, secure.base_url, pki, api_key)


def test_openai_sdk_over_tls_with_the_token(secure, pki, upstream):
    with openai_client(secure, pki) as client:
        resp = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": USER_TEXT}])
        assert_all_restored(resp.choices[0].message.content, USER_TEXT_PII, "message.content")
        stream = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": USER_TEXT}], stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert_all_restored(text, USER_TEXT_PII, "the streamed reply")
    for rec in upstream.requests:
        assert_leaks_none(rec.text, USER_TEXT_PII, "the request the upstream received")
        assert "authorization" not in rec.headers, rec.headers
        assert TOKEN not in rec.text


def test_a_wrong_token_is_refused_and_nothing_is_forwarded(secure, pki, upstream):
    with openai_client(secure, pki, api_key="sk-not-the-local-token") as client:
        with pytest.raises(openai.AuthenticationError) as err:
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": USER_TEXT}])
    assert err.value.status_code == 401
    assert err.value.code == "invalid_api_key"
    assert upstream.requests == []


def test_a_client_that_does_not_trust_the_ca_cannot_connect(secure, upstream):
    with openai.OpenAI(base_url=secure.base_url, api_key=TOKEN, max_retries=0, timeout=10) as client:
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert upstream.requests == []


def test_anthropic_sdk_over_tls_with_the_token(secure, pki, upstream):
    with sdk_client(anthropic, secure.root_url, pki) as client:
        msg = client.messages.create(
            model="claude-fake-1", max_tokens=64, messages=[{"role": "user", "content": f"Mail {EMAIL}"}]
        )
    assert_all_restored(msg.content[0].text, [EMAIL], "the Anthropic reply")
    rec = upstream.requests[-1]
    assert "authorization" not in rec.headers and "x-api-key" not in rec.headers, rec.headers
    assert_leaks_none(rec.text, [EMAIL], "the request the upstream received")


def test_curl_with_cacert(secure, pki, upstream):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    base = ["curl", "-sS", "--noproxy", "*", "--cacert", str(pki / "ca.pem")]
    health = subprocess.run([*base, f"{secure.root_url}/healthz"], capture_output=True, text=True, timeout=20)
    assert health.returncode == 0, health.stderr
    assert json.loads(health.stdout) == {"status": "ok"}
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": USER_TEXT}]})
    chat = subprocess.run(
        [
            *base,
            "-H", "content-type: application/json",
            "-H", f"authorization: Bearer {TOKEN}",
            "-d", body,
            f"{secure.base_url}/chat/completions",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert chat.returncode == 0, chat.stderr
    assert_all_restored(json.loads(chat.stdout)["choices"][0]["message"]["content"], USER_TEXT_PII, "curl's reply")
    denied = subprocess.run(
        [*base, "-o", "/dev/null", "-w", "%{http_code}", f"{secure.base_url}/models"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert denied.stdout == "401"
