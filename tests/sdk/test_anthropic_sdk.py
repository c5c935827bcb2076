"""The official Anthropic Python SDK pointed at veilgate: ``base_url=<proxy root>`` (the SDK
appends ``/v1/messages`` itself). The system prompt and the user's content blocks must leave
masked; the reply, JSON or streamed, must come back with the original values.

Credentials: this SDK release (2.x) sends ``api_key`` as ``Authorization: Bearer …``; older
releases, curl examples and many tools send ``x-api-key``. Both must reach the upstream.
"""

from __future__ import annotations

import anthropic
import anthropic._constants
import pytest

from fake_upstream import (
    ANTHROPIC_KEY,
    CARD,
    EMAIL,
    EMAIL2,
    IBAN,
    PHONE,
    PHONE2,
    SSN,
    USER_TEXT,
    USER_TEXT_PII,
    assert_all_restored,
    assert_leaks_none,
    placeholder_for,
    placeholder_map,
)

MODEL = "claude-fake-1"
SYSTEM = f"You help the billing team of {EMAIL2}. Escalations: call {PHONE2}."


@pytest.fixture
def client(proxy):
    with anthropic.Anthropic(base_url=proxy.root_url, api_key=ANTHROPIC_KEY, max_retries=0, timeout=20) as c:
        yield c


def check_request(rec, user_text: str, values) -> None:
    assert rec.headers.get("authorization") == f"Bearer {ANTHROPIC_KEY}", rec.headers
    assert rec.headers.get("anthropic-version") == anthropic._constants.ANTHROPIC_API_VERSION, rec.headers
    assert rec.json["model"] == MODEL
    assert_leaks_none(rec.text, [EMAIL2, PHONE2, *values], "the request the upstream received")
    system_map = placeholder_map(SYSTEM, rec.json["system"])
    placeholder_for(system_map, EMAIL2)
    placeholder_for(system_map, PHONE2)
    content = rec.json["messages"][0]["content"]
    sent = content if isinstance(content, str) else " ".join(b["text"] for b in content)
    user_map = placeholder_map(user_text, sent)
    for v in values:
        placeholder_for(user_map, v)
    # One numbering for the whole request: two different emails, two different placeholders.
    assert placeholder_for(system_map, EMAIL2) != placeholder_for(user_map, values[0])


def test_messages_create(client, fake):
    msg = client.messages.create(
        model=MODEL,
        max_tokens=300,
        system=SYSTEM,
        messages=[{"role": "user", "content": USER_TEXT}],
    )
    rec = fake.only("/v1/messages")
    check_request(rec, USER_TEXT, USER_TEXT_PII)
    assert rec.json["max_tokens"] == 300

    assert msg.stop_reason == "end_turn"
    text = "".join(block.text for block in msg.content if block.type == "text")
    assert_all_restored(text, [EMAIL2, PHONE2, *USER_TEXT_PII], "the message's text")
    assert text == f"I received: {SYSTEM} | {USER_TEXT}"


def test_messages_stream(client, fake):
    user_text = f"My email is {EMAIL}, phone {PHONE}. SSN {SSN}; card {CARD}; IBAN {IBAN}."
    with client.messages.stream(
        model=MODEL,
        max_tokens=300,
        system=SYSTEM,
        messages=[{"role": "user", "content": [{"type": "text", "text": user_text}]}],
    ) as stream:
        deltas = list(stream.text_stream)
        final = stream.get_final_message()
    rec = fake.only("/v1/messages")
    assert rec.json["stream"] is True
    check_request(rec, user_text, [EMAIL, PHONE, SSN, CARD, IBAN])

    expected = f"I received: {SYSTEM} | {user_text}"
    text = "".join(deltas)
    assert len(deltas) > 5, "the reply was not streamed"
    assert_all_restored(text, [EMAIL2, PHONE2, EMAIL, PHONE, SSN, CARD, IBAN], "the streamed text")
    assert text == expected
    assert final.stop_reason == "end_turn"
    assert "".join(b.text for b in final.content if b.type == "text") == expected
    assert final.usage.output_tokens == 15


def test_x_api_key_header_reaches_the_upstream(proxy, fake, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    with anthropic.Anthropic(
        base_url=proxy.root_url,
        api_key=None,
        default_headers={"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"},
        max_retries=0,
        timeout=20,
    ) as c:
        msg = c.messages.create(model=MODEL, max_tokens=50, messages=[{"role": "user", "content": f"I am {EMAIL}"}])
    rec = fake.only("/v1/messages")
    assert rec.headers.get("x-api-key") == ANTHROPIC_KEY, rec.headers
    assert rec.headers.get("anthropic-version") == "2023-06-01", rec.headers
    assert "authorization" not in rec.headers
    assert_leaks_none(rec.text, [EMAIL], "the request the upstream received")
    assert_all_restored(msg.content[0].text, [EMAIL], "the message's text")


def test_upstream_error_reaches_the_sdk(client, fake):
    fake.queue_error(
        529,
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    with pytest.raises(anthropic.APIStatusError) as err:
        client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": f"hi from {EMAIL}"}])
    assert err.value.status_code == 529
    assert "Overloaded" in str(err.value)
    # Still serving.
    msg = client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": f"hi from {EMAIL}"}])
    assert_all_restored(msg.content[0].text, [EMAIL], "the reply after an error")
