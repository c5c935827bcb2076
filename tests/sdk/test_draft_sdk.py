"""The official OpenAI SDK streaming a chat through veilgate with the draft on: the first
words come from the local model before the (slow) fake cloud answers, the SDK reads the
spliced stream as one reply, and nothing unmasked leaves the machine, the opener included.
"""

from __future__ import annotations

import json
import time

import openai
import pytest

from conftest import Proxy, _binary
from fake_upstream import OPENAI_KEY, USER_TEXT, USER_TEXT_PII, assert_all_restored, assert_leaks_none

CLOUD_TTFT_S = 0.6


@pytest.fixture(scope="module")
def as_shipped(fake_upstream, tmp_path_factory):
    """The proxy with its default configuration: nothing about the draft is set."""
    p = Proxy(_binary(), fake_upstream, tmp_path_factory.mktemp("veilgate-shipped"), extra_env={"VEILGATE__DRAFT__ENABLED": None})
    yield p
    p.stop()


@pytest.fixture(scope="module")
def drafting(fake_upstream, tmp_path_factory):
    p = Proxy(
        _binary(),
        fake_upstream,
        tmp_path_factory.mktemp("veilgate-draft"),
        extra_env={
            "VEILGATE__DRAFT__ENABLED": "true",
            # Draft whatever the shipped model thinks, however unsure or short: the test is
            # about the stream, not the model's confidence or the opener's worth.
            "VEILGATE__DRAFT__START_THRESHOLD": "0",
            "VEILGATE__DRAFT__STOP_THRESHOLD": "0",
            "VEILGATE__DRAFT__MIN_WORDS": "1",
            # and however slowly a loaded machine steps it.
            "VEILGATE__DRAFT__BUDGET_MS": "500",
        },
    )
    yield p
    p.stop()


def test_streamed_chat_opens_with_the_local_draft(fake_upstream, drafting):
    fake_upstream.reset()
    fake_upstream.first_event_delay = CLOUD_TTFT_S
    try:
        with openai.OpenAI(base_url=drafting.base_url, api_key=OPENAI_KEY, max_retries=0, timeout=20) as client:
            started = time.monotonic()
            stream = client.chat.completions.create(
                model="gpt-fake-1",
                messages=[{"role": "user", "content": USER_TEXT}],
                stream=True,
            )
            first, text, finish, ids = None, "", None, set()
            for chunk in stream:
                ids.add(chunk.id)
                for choice in chunk.choices:
                    if choice.delta.content and first is None:
                        first = time.monotonic() - started
                    text += choice.delta.content or ""
                    finish = choice.finish_reason or finish
    finally:
        fake_upstream.first_event_delay = 0.0

    assert first is not None and first < CLOUD_TTFT_S, f"first words after {first:.3f} s"
    assert len(ids) == 1, "one stream, one id"
    assert finish == "stop"
    sent = fake_upstream.requests_to("/v1/chat/completions")
    assert len(sent) == 1, "one cloud request per client request: the continuation"
    assert_leaks_none(sent[0].text, USER_TEXT_PII, "the request the upstream received")
    instruction = sent[0].json["messages"][-1]["content"]
    opener = instruction.rsplit("\u00ab", 1)[1].removesuffix("\u00bb")
    assert opener and text.startswith(opener), (opener, text)
    # The continuation quotes the user's (masked) text back: the SDK sees the real values.
    assert_all_restored(text, USER_TEXT_PII, "the spliced reply")
    assert drafting.alive()


def test_streamed_chat_through_the_default_configuration(fake_upstream, as_shipped):
    """The default streamed-chat path, draft on with its shipped thresholds, before a slow
    cloud: whether the model is confident enough to draft this prompt is its own affair, but
    either way the SDK reads one stream with the real values, nothing unmasked leaves, and
    the request went through the draft (its audit record says what the draft did)."""
    fake_upstream.reset()
    fake_upstream.first_event_delay = CLOUD_TTFT_S
    try:
        with openai.OpenAI(base_url=as_shipped.base_url, api_key=OPENAI_KEY, max_retries=0, timeout=20) as client:
            stream = client.chat.completions.create(
                model="gpt-fake-1",
                messages=[{"role": "user", "content": USER_TEXT}],
                stream=True,
            )
            text, finish, ids = "", None, set()
            for chunk in stream:
                ids.add(chunk.id)
                for choice in chunk.choices:
                    text += choice.delta.content or ""
                    finish = choice.finish_reason or finish
    finally:
        fake_upstream.first_event_delay = 0.0
    assert len(ids) == 1 and finish == "stop"
    sent = fake_upstream.requests_to("/v1/chat/completions")
    assert len(sent) == 1, "one cloud request per client request"
    for rec in sent:
        assert_leaks_none(rec.text, USER_TEXT_PII, "a request the upstream received")
    assert_all_restored(text, USER_TEXT_PII, "the streamed reply")
    as_shipped.stop()
    records = [json.loads(line) for line in as_shipped.audit_path.read_text().splitlines() if line.strip()]
    chats = [r for r in records if r.get("route") == "chat.completions"]
    assert chats and chats[-1].get("draft"), f"the draft did not see the request: {chats[-1:]}"
