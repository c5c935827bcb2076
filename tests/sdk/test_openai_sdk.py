"""The official OpenAI Python SDK pointed at veilgate, as a user would: ``base_url=<proxy>/v1``.

Each test is one user flow: the upstream (a fake that quotes back what it got) must see none of
the personal data, only placeholders; the SDK must get the original values back and no
placeholder, whether the reply is JSON or a stream.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request

import openai
import pytest

from fake_upstream import (
    ALL_PII,
    CARD,
    EMAIL,
    EMAIL2,
    IBAN,
    IP,
    OPENAI_KEY,
    ANTHROPIC_KEY,
    PHONE,
    PHONE2,
    PLACEHOLDER_RE,
    SSN,
    USER_TEXT,
    USER_TEXT_PII,
    assert_all_restored,
    assert_leaks_none,
    fake_embedding,
    placeholder_for,
    placeholder_map,
)

MODEL = "gpt-fake-1"

SEND_EMAIL_TOOL = {
    "type": "function",
    "function": {
        "name": "send_email",
        "description": "Send an email to a customer.",
        "parameters": {
            "type": "object",
            "properties": {
                "to": {"type": "string"},
                "mentioned": {"type": "array", "items": {"type": "string"}},
                "note": {"type": "string"},
            },
            "required": ["to"],
        },
    },
}


@pytest.fixture
def client(proxy):
    with openai.OpenAI(base_url=proxy.base_url, api_key=OPENAI_KEY, max_retries=0, timeout=20) as c:
        yield c


def user_message_sent(rec, index=-1) -> str:
    """Text of a message in the request the upstream received."""
    msgs = [m for m in rec.json["messages"] if m["role"] == "user"]
    return msgs[index]["content"]


def check_masked(rec_text: str, masked_user_text: str, original: str, values) -> dict[str, str]:
    """The upstream got no original value, and the user text with placeholders in their place."""
    assert_leaks_none(rec_text, values, "the request the upstream received")
    mapping = placeholder_map(original, masked_user_text)
    for v in values:
        placeholder_for(mapping, v)  # each one was masked
    assert "[EMAIL_1]" in masked_user_text, masked_user_text
    return mapping


def assert_still_serves(client) -> None:
    r = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": f"ping from {EMAIL}"}])
    assert_all_restored(r.choices[0].message.content, [EMAIL], "the reply after an error")


# ----------------------------------------------------------------------------------------------
# Chat Completions


def test_chat_masks_request_and_restores_reply(client, fake):
    resp = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are a concise support assistant."},
            {"role": "user", "content": USER_TEXT},
        ],
        temperature=0.2,
    )
    rec = fake.only("/v1/chat/completions")
    check_masked(rec.text, user_message_sent(rec), USER_TEXT, USER_TEXT_PII)
    assert rec.json["model"] == MODEL
    assert rec.json["temperature"] == 0.2
    assert rec.json["messages"][0] == {"role": "system", "content": "You are a concise support assistant."}

    content = resp.choices[0].message.content
    assert content.startswith("I received: ")
    assert_all_restored(content, USER_TEXT_PII, "message.content")
    assert USER_TEXT in content  # restored exactly, not approximately
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.total_tokens == 59


def test_chat_keeps_fields_it_does_not_know(client, fake):
    extra = {"veilgate_test_vendor_param": {"keep": [1, 2.5, "three", None, True]}, "top_k": 40}
    client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": f"Write to {EMAIL}"}], extra_body=extra
    )
    rec = fake.only("/v1/chat/completions")
    for k, v in extra.items():
        assert rec.json.get(k) == v, f"{k} did not reach the upstream intact: {rec.json}"


def test_chat_text_parts_are_masked(client, fake):
    parts = [
        {"type": "text", "text": f"My email is {EMAIL}."},
        {"type": "text", "text": f"Call me on {PHONE2}, and my SSN is {SSN}."},
    ]
    resp = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": parts}])
    rec = fake.only("/v1/chat/completions")
    assert_leaks_none(rec.text, [EMAIL, PHONE2, SSN], "the request the upstream received")
    sent = rec.json["messages"][0]["content"]
    assert [p["type"] for p in sent] == ["text", "text"]
    placeholder_map(parts[0]["text"], sent[0]["text"])
    placeholder_map(parts[1]["text"], sent[1]["text"])
    assert_all_restored(resp.choices[0].message.content, [EMAIL, PHONE2, SSN], "message.content")


def test_chat_stream_restores_split_placeholders(client, fake):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": USER_TEXT}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, finish, usage_chunks, chunks = "", None, [], 0
    for chunk in stream:
        chunks += 1
        if chunk.usage is not None:
            usage_chunks.append(chunk)
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    rec = fake.only("/v1/chat/completions")
    assert rec.json["stream"] is True
    assert rec.json["stream_options"] == {"include_usage": True}
    check_masked(rec.text, user_message_sent(rec), USER_TEXT, USER_TEXT_PII)

    assert chunks > 5, "the reply was not streamed"
    assert_all_restored(text, USER_TEXT_PII, "the streamed deltas")
    assert text == "I received: " + USER_TEXT
    assert finish == "stop"
    assert len(usage_chunks) == 1, "expected exactly one usage chunk"
    assert usage_chunks[0].choices == []
    assert usage_chunks[0].usage.total_tokens == 59


def test_tool_call_round_trip(client, fake):
    question = f"Please email {EMAIL} and tell them to call {PHONE} about invoice 7731."
    messages = [{"role": "user", "content": question}]

    # Turn 1: the model calls the tool, quoting the placeholders it was given.
    r1 = client.chat.completions.create(model=MODEL, messages=messages, tools=[SEND_EMAIL_TOOL])
    turn1 = fake.only("/v1/chat/completions")
    assert turn1.json["tools"] == [SEND_EMAIL_TOOL]
    map1 = check_masked(turn1.text, user_message_sent(turn1), question, [EMAIL, PHONE])

    msg = r1.choices[0].message
    assert r1.choices[0].finish_reason == "tool_calls"
    assert len(msg.tool_calls) == 1
    call = msg.tool_calls[0]
    assert call.function.name == "send_email"
    assert not PLACEHOLDER_RE.search(call.function.arguments), call.function.arguments
    args = json.loads(call.function.arguments)
    assert args["to"] == EMAIL
    assert args["mentioned"] == [EMAIL, PHONE]
    assert args["note"] == question

    # Turn 2: the client sends the whole history back, with the tool's result.
    tool_result = f"Sent to {EMAIL}. Card on file {CARD}; their support line is {PHONE2}."
    fake.reset()
    messages += [msg, {"role": "tool", "tool_call_id": call.id, "content": tool_result}]
    r2 = client.chat.completions.create(model=MODEL, messages=messages, tools=[SEND_EMAIL_TOOL])
    turn2 = fake.only("/v1/chat/completions")
    assert_leaks_none(turn2.text, [EMAIL, PHONE, CARD, PHONE2], "the turn-2 request the upstream received")

    sent = turn2.json["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    map_user = placeholder_map(question, sent[0]["content"])
    sent_args = json.loads(sent[1]["tool_calls"][0]["function"]["arguments"])
    assert sent[1]["tool_calls"][0]["id"] == call.id
    map_tool = placeholder_map(tool_result, sent[2]["content"])
    assert sent[2]["tool_call_id"] == call.id

    email_ph = placeholder_for(map1, EMAIL)
    phone_ph = placeholder_for(map1, PHONE)
    # Same value, same placeholder: across turns, and across the messages of one request.
    assert placeholder_for(map_user, EMAIL) == email_ph
    assert placeholder_for(map_user, PHONE) == phone_ph
    assert sent_args["to"] == email_ph, sent_args
    assert sent_args["mentioned"] == [email_ph, phone_ph], sent_args
    assert placeholder_for(map_tool, EMAIL) == email_ph
    assert placeholder_for(map_tool, CARD) not in (email_ph, phone_ph)
    assert placeholder_for(map_tool, PHONE2) != phone_ph

    reply = r2.choices[0].message.content
    assert_all_restored(reply, [EMAIL, PHONE, CARD, PHONE2], "the turn-2 reply")
    assert tool_result in reply


def test_tool_call_streamed(client, fake):
    question = f"Email {EMAIL2} the IBAN {IBAN} and the SSN {SSN}, please."
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": question}],
        tools=[SEND_EMAIL_TOOL],
        stream=True,
    )
    calls: dict[int, dict] = {}
    fragments = 0
    finish = None
    for chunk in stream:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for tc in choice.delta.tool_calls or []:
                slot = calls.setdefault(tc.index, {"id": None, "name": "", "arguments": ""})
                slot["id"] = tc.id or slot["id"]
                if tc.function is not None:
                    slot["name"] += tc.function.name or ""
                    if tc.function.arguments:
                        slot["arguments"] += tc.function.arguments
                        fragments += 1
    rec = fake.only("/v1/chat/completions")
    check_masked(rec.text, user_message_sent(rec), question, [EMAIL2, IBAN, SSN])

    assert finish == "tool_calls"
    assert list(calls) == [0]
    assert calls[0]["id"] == "call_fake_1"
    assert calls[0]["name"] == "send_email"
    assert fragments > 3, "the arguments were not streamed in fragments"
    arguments = calls[0]["arguments"]
    assert not PLACEHOLDER_RE.search(arguments), arguments
    args = json.loads(arguments)
    assert args["to"] == EMAIL2
    assert args["mentioned"] == [EMAIL2, IBAN, SSN]
    assert args["note"] == question


# Everyday phrasings the detectors must not miss. Each uses its own value (not in ALL_PII), so
# a miss fails only here and not the log and audit checks as well.
EVERYDAY = {
    # "build" is a version-context word for the ipv4 rule, but here it names a server.
    "ip_after_build_server": ("The build server at 10.23.45.89 is down again, can you check it?", "10.23.45.89"),
    # An international number with no phone/call word nearby: the whole number, "+1" included.
    "phone_without_call_word": (f"Reach me at {EMAIL} or +1 415 555 0199.", "+1 415 555 0199"),
}


@pytest.mark.parametrize("case", list(EVERYDAY))
def test_detection_in_everyday_phrasing(client, fake, case):
    text, value = EVERYDAY[case]
    resp = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": text}])
    rec = fake.only("/v1/chat/completions")
    assert_leaks_none(rec.text, [value], "the request the upstream received")
    placeholder_for(placeholder_map(text, user_message_sent(rec)), value)
    assert_all_restored(resp.choices[0].message.content, [value], "message.content")


# ----------------------------------------------------------------------------------------------
# Responses API


def test_responses_create(client, fake):
    instructions = f"Answer briefly. Escalations go to {EMAIL2}."
    question = f"My card {CARD} was charged twice; my IBAN is {IBAN} and my email {EMAIL}."
    resp = client.responses.create(model=MODEL, instructions=instructions, input=question)
    rec = fake.only("/v1/responses")
    assert_leaks_none(rec.text, [EMAIL2, CARD, IBAN, EMAIL], "the request the upstream received")
    placeholder_map(instructions, rec.json["instructions"])
    mapping = placeholder_map(question, rec.json["input"])
    for v in (CARD, IBAN, EMAIL):
        placeholder_for(mapping, v)

    assert resp.status == "completed"
    assert_all_restored(resp.output_text, [EMAIL2, CARD, IBAN, EMAIL], "response.output_text")
    assert resp.output_text == f"I received: {instructions} | {question}"


def test_responses_stream(client, fake):
    question = f"Call me on {PHONE} or write to {EMAIL}; the VPN endpoint is {IP}."
    stream = client.responses.create(
        model=MODEL,
        input=[{"role": "user", "content": [{"type": "input_text", "text": question}]}],
        stream=True,
    )
    deltas, done_text, completed, seqs, types = "", None, None, [], []
    for event in stream:
        types.append(event.type)
        seqs.append(event.sequence_number)
        if event.type == "response.output_text.delta":
            deltas += event.delta
        elif event.type == "response.output_text.done":
            done_text = event.text
        elif event.type == "response.completed":
            completed = event.response
    rec = fake.only("/v1/responses")
    assert_leaks_none(rec.text, [EMAIL, PHONE, IP], "the request the upstream received")
    mapping = placeholder_map(question, rec.json["input"][0]["content"][0]["text"])
    for v in (EMAIL, PHONE, IP):
        placeholder_for(mapping, v)

    assert types[0] == "response.created" and types[-1] == "response.completed", types
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    expected = f"I received: {question}"
    assert_all_restored(deltas, [EMAIL, PHONE, IP], "the streamed output_text deltas")
    assert deltas == expected
    assert done_text == expected, "response.output_text.done carries a different text"
    assert completed is not None and completed.output_text == expected, "response.completed carries a different text"


# ----------------------------------------------------------------------------------------------
# Embeddings and legacy completions


def test_embeddings_input_is_masked(client, fake):
    docs = [f"Customer {EMAIL} disputes card {CARD}.", f"Follow-up: {EMAIL} called from {PHONE2}."]
    resp = client.embeddings.create(model="text-embedding-fake", input=docs)
    rec = fake.only("/v1/embeddings")
    assert_leaks_none(rec.text, [EMAIL, CARD, PHONE2], "the request the upstream received")
    sent = rec.json["input"]
    assert isinstance(sent, list) and len(sent) == 2
    m0, m1 = placeholder_map(docs[0], sent[0]), placeholder_map(docs[1], sent[1])
    assert placeholder_for(m0, EMAIL) == placeholder_for(m1, EMAIL), "one value, two placeholders in one request"
    placeholder_for(m0, CARD)
    placeholder_for(m1, PHONE2)

    assert [d.index for d in resp.data] == [0, 1]
    for d, masked in zip(resp.data, sent):
        assert d.embedding == pytest.approx(fake_embedding(masked)), "the vectors were altered"


def test_legacy_completions(client, fake):
    prompt = f"Draft a letter to {EMAIL} confirming SSN {SSN} and phone {PHONE}:"
    resp = client.completions.create(model="gpt-fake-instruct", prompt=prompt, max_tokens=50)
    rec = fake.only("/v1/completions")
    assert_leaks_none(rec.text, [EMAIL, SSN, PHONE], "the request the upstream received")
    mapping = placeholder_map(prompt, rec.json["prompt"])
    for v in (EMAIL, SSN, PHONE):
        placeholder_for(mapping, v)
    assert rec.json["max_tokens"] == 50
    assert_all_restored(resp.choices[0].text, [EMAIL, SSN, PHONE], "choices[0].text")
    assert resp.choices[0].text == f"I received: {prompt}"


def test_legacy_completions_stream(client, fake):
    prompt = f"Summarise the ticket from {EMAIL2} about IBAN {IBAN}:"
    text = "".join(c.choices[0].text for c in client.completions.create(model="gpt-fake-instruct", prompt=prompt, stream=True) if c.choices)
    rec = fake.only("/v1/completions")
    assert_leaks_none(rec.text, [EMAIL2, IBAN], "the request the upstream received")
    assert_all_restored(text, [EMAIL2, IBAN], "the streamed completion")
    assert text == f"I received: {prompt}"


# ----------------------------------------------------------------------------------------------
# Headers, pass-through routes


def test_headers_reach_the_upstream(proxy, fake):
    with openai.OpenAI(
        base_url=proxy.base_url, api_key=OPENAI_KEY, organization="org-veilgate-test", max_retries=0, timeout=20
    ) as c:
        c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hello"}])
    rec = fake.only("/v1/chat/completions")
    assert rec.headers.get("authorization") == f"Bearer {OPENAI_KEY}"
    assert rec.headers.get("openai-organization") == "org-veilgate-test"
    assert "application/json" in rec.headers.get("content-type", "")


def test_models_list_passes_through(client, fake):
    models = client.models.list()
    assert [m.id for m in models.data] == [MODEL]
    rec = fake.only("/v1/models")
    assert rec.method == "GET"
    assert rec.headers.get("authorization") == f"Bearer {OPENAI_KEY}"


# ----------------------------------------------------------------------------------------------
# Errors


def test_upstream_rate_limit_reaches_the_sdk(client, fake):
    fake.queue_error(
        429,
        {"error": {"message": "Rate limit reached for requests", "type": "requests", "param": None, "code": "rate_limit_exceeded"}},
        {"retry-after": "7"},
    )
    with pytest.raises(openai.RateLimitError) as err:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": f"hi, I am {EMAIL}"}])
    assert err.value.status_code == 429
    assert err.value.code == "rate_limit_exceeded"
    assert err.value.response.headers.get("retry-after") == "7", dict(err.value.response.headers)
    assert len(fake.requests) == 1, "the SDK or the proxy retried"
    assert_still_serves(client)


def test_upstream_error_message_is_unmasked(client, fake):
    def quote(rec):
        ph = PLACEHOLDER_RE.findall(user_message_sent(rec))
        return {"error": {"message": f"Recipient {ph[0] if ph else '?'} is not allowed", "type": "invalid_request_error", "param": "messages", "code": None}}

    fake.queue_error(400, quote)
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": f"send it to {EMAIL}"}])
    assert err.value.status_code == 400
    assert err.value.body["message"] == f"Recipient {EMAIL} is not allowed", err.value.body
    assert err.value.param == "messages"
    assert_still_serves(client)


def raw_post(proxy, path: str, body: bytes, content_type: str):
    req = urllib.request.Request(
        proxy.root_url + path,
        data=body,
        method="POST",
        headers={"Content-Type": content_type, "Authorization": f"Bearer {OPENAI_KEY}"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def assert_openai_error(status, headers, body, want_status):
    assert status == want_status, (status, body)
    assert "application/json" in headers.get("Content-Type", ""), dict(headers)
    err = json.loads(body)["error"]
    assert set(err) >= {"message", "type", "param", "code"}, err
    assert isinstance(err["message"], str) and err["message"], err
    assert isinstance(err["type"], str) and err["type"], err


def test_malformed_json_is_a_400_and_nothing_is_forwarded(proxy, client, fake):
    broken = ('{"model": "%s", "messages": [{"role": "user", "content": "my email is %s"' % (MODEL, EMAIL)).encode()
    status, headers, body = raw_post(proxy, "/v1/chat/completions", broken, "application/json")
    assert_openai_error(status, headers, body, 400)
    assert EMAIL not in body.decode(), "the error echoes the personal data it could not parse"
    assert fake.requests == [], "a request the proxy could not read was forwarded"
    assert_still_serves(client)


def test_wrong_content_type_is_a_415(proxy, client, fake):
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": f"mail {EMAIL}"}]}).encode()
    status, headers, raw = raw_post(proxy, "/v1/chat/completions", body, "text/plain")
    assert_openai_error(status, headers, raw, 415)
    assert fake.requests == []
    assert_still_serves(client)


# ----------------------------------------------------------------------------------------------
# After everything else: the proxy stops cleanly and wrote no personal data or key anywhere.


@pytest.mark.after_all
def test_proxy_stops_cleanly_on_sigterm(proxy):
    code = proxy.stop()
    assert code == 0, f"veilgate exited with {code} after SIGTERM\n--- stderr ---\n{proxy.log}"


@pytest.mark.after_all
def test_logs_contain_no_personal_data_or_keys(proxy):
    proxy.stop()
    log = proxy.log
    assert "veilgate listening on" in log
    for secret in ALL_PII + [OPENAI_KEY, ANTHROPIC_KEY]:
        assert secret not in log, f"the proxy's log contains {secret!r}:\n{log}"


@pytest.mark.after_all
def test_audit_log_contains_no_personal_data_and_verifies(proxy):
    proxy.stop()
    path = proxy.audit_path
    assert path.is_file(), f"no audit log at {path}"
    text = path.read_text()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert len(records) >= 10, f"only {len(records)} audit records"
    for secret in ALL_PII + [OPENAI_KEY, ANTHROPIC_KEY]:
        assert secret not in text, f"the audit log contains {secret!r}"
    masked = [r for r in records if "[EMAIL_1]" in json.dumps(r.get("masked_request"))]
    assert masked, "no audit record carries a masked request"
    verify = subprocess.run([str(proxy.binary), "audit", "verify", str(path)], capture_output=True, text=True, timeout=30)
    assert verify.returncode == 0, f"audit verify failed:\n{verify.stdout}\n{verify.stderr}"
