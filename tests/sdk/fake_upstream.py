"""A fake OpenAI / Anthropic upstream for the SDK tests (Python standard library only).

It listens on 127.0.0.1 (a free port), records every request it gets (method, path, headers,
raw body, parsed JSON) and answers in the real wire formats. Every answer quotes back the text
it received, so whatever placeholders the proxy put in the request come back in the reply and
the proxy has to restore them:

* chat completions: ``"I received: <texts>"``; streamed as ``chat.completion.chunk`` SSE with
  3-character deltas (placeholders end up split across chunks), each SSE event itself written
  in two halves, plus a usage chunk with ``choices: []`` when ``stream_options.include_usage``;
* tool calls: when the request offers ``tools`` and its last message is not a tool result, the
  model "calls" the first tool with JSON arguments quoting the placeholders and texts it got
  (streamed: argument fragments of 3 characters);
* Responses API (object and the ``response.*`` event sequence with ``sequence_number``),
  embeddings (floats or base64, as asked), legacy completions, ``GET /models``;
* Anthropic Messages (message object, and ``message_start`` … ``message_stop`` with ``event:``
  lines).

Streams are HTTP/1.1 ``Transfer-Encoding: chunked``, each chunk flushed on its own.
``queue_error`` makes the next request fail with a given status, headers and body.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Iterator

PLACEHOLDER_RE = re.compile(r"\[[A-Z][A-Z_]*_\d+\]")

CHUNK_CHARS = 3  # size of streamed text deltas and tool-argument fragments
EVENT_PAUSE_S = 0.001  # pause between the two halves of an SSE event, and between events


@dataclass
class Recorded:
    """One request as the upstream saw it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any = None

    @property
    def text(self) -> str:
        """The body as text (for "does this value appear anywhere" checks)."""
        return self.body.decode("utf-8", errors="replace")

    def placeholders(self) -> list[str]:
        return PLACEHOLDER_RE.findall(self.text)


@dataclass
class QueuedError:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# What the fake "model" says


def _content_text(content: Any) -> str:
    """Text of a message content: a string, or a list of parts with text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict):
                if isinstance(part.get("text"), str):
                    out.append(part["text"])
                elif part.get("type") == "tool_result":
                    out.append(_content_text(part.get("content")))
        return " ".join(t for t in out if t)
    return ""


def chat_texts(body: dict) -> list[str]:
    """The texts a chat request carries: system/developer, user and tool messages."""
    texts = []
    for msg in body.get("messages") or []:
        if msg.get("role") in ("system", "developer", "user", "tool"):
            t = _content_text(msg.get("content"))
            if t:
                texts.append(t)
    return texts


def responses_texts(body: dict) -> list[str]:
    texts = []
    if isinstance(body.get("instructions"), str):
        texts.append(body["instructions"])
    inp = body.get("input")
    if isinstance(inp, str):
        texts.append(inp)
    elif isinstance(inp, list):
        for item in inp:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, dict):
                if "content" in item:
                    t = _content_text(item.get("content"))
                elif item.get("type") == "function_call_output":
                    t = str(item.get("output", ""))
                else:
                    t = _content_text(item.get("text"))
                if t:
                    texts.append(t)
    return texts


def anthropic_texts(body: dict) -> list[str]:
    texts = []
    system = body.get("system")
    if system:
        texts.append(_content_text(system))
    for msg in body.get("messages") or []:
        if msg.get("role") == "user":
            t = _content_text(msg.get("content"))
            if t:
                texts.append(t)
    return texts


def reply_text(texts: Iterable[str]) -> str:
    return "I received: " + " | ".join(texts)


def tool_arguments(body: dict) -> str:
    """JSON arguments for the tool call: the placeholders seen and the last user text."""
    texts = chat_texts(body)
    seen = PLACEHOLDER_RE.findall(" ".join(texts))
    return json.dumps(
        {
            "to": seen[0] if seen else "",
            "mentioned": list(dict.fromkeys(seen)),
            "note": texts[-1] if texts else "",
        }
    )


def pieces(text: str, n: int = CHUNK_CHARS) -> list[str]:
    return [text[i : i + n] for i in range(0, len(text), n)] or [""]


def fake_embedding(text: str, dims: int = 8) -> list[float]:
    """A deterministic little vector (values exactly representable in float32)."""
    return [((len(text) * 7 + i * 13) % 17) / 16.0 for i in range(dims)]


# ---------------------------------------------------------------------------------------------
# The server


class FakeUpstream:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._errors: list[QueuedError] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-upstream", daemon=True)
        self.model = "gpt-fake-1"
        # Seconds a stream waits before its first event, like a cloud model thinking.
        self.first_event_delay = 0.0

    # lifecycle
    def start(self) -> "FakeUpstream":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # recording
    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._errors.clear()

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    def only(self, path: str) -> Recorded:
        """The single request made to ``path`` since the last reset."""
        got = self.requests_to(path)
        assert len(got) == 1, f"expected exactly one request to {path}, got {[r.path for r in self.requests]}"
        return got[0]

    def queue_error(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """The next request gets this answer. ``body`` may be a function of the Recorded
        request (to quote what it carried)."""
        with self._lock:
            self._errors.append(QueuedError(status, body, dict(headers or {})))

    def _record(self, rec: Recorded) -> QueuedError | None:
        with self._lock:
            self._requests.append(rec)
            return self._errors.pop(0) if self._errors else None


def _make_handler(fake: FakeUpstream):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fake-upstream/1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        # ---- request side
        def _read_body(self) -> bytes:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                out = bytearray()
                while True:
                    size_line = self.rfile.readline()
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return bytes(out)
                    out += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            raw = self._read_body()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = None
            rec = Recorded(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=raw,
                json=parsed,
            )
            error = fake._record(rec)
            if error is not None:
                body = error.body(rec) if callable(error.body) else error.body
                self._send_json(error.status, body, error.headers)
                return
            path = self.path.split("?")[0]
            body = parsed if isinstance(parsed, dict) else {}
            if self.command == "GET" and path in ("/v1/models", "/models"):
                self._send_json(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": fake.model, "object": "model", "created": 1700000000, "owned_by": "fake"}],
                    },
                )
                return
            if self.command != "POST" or not isinstance(parsed, dict):
                self._send_json(
                    400 if self.command == "POST" else 404,
                    {"error": {"message": f"fake upstream: cannot handle {self.command} {path}", "type": "invalid_request_error", "param": None, "code": None}},
                )
                return
            routes = {
                "/chat/completions": self._chat,
                "/completions": self._completions,
                "/responses": self._responses,
                "/embeddings": self._embeddings,
                "/messages": self._messages,
            }
            for suffix, handler in routes.items():
                if path.endswith(suffix) and not (suffix == "/completions" and path.endswith("/chat/completions")):
                    handler(body)
                    return
            self._send_json(404, {"error": {"message": f"fake upstream: no route {path}", "type": "invalid_request_error", "param": None, "code": None}})

        do_POST = _handle
        do_GET = _handle

        # ---- response side
        def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
            data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def _send_sse(self, events: Iterator[tuple[str | None, Any]]) -> None:
            """Writes ``(event name, data)`` pairs as SSE over chunked transfer encoding.
            ``data`` is a JSON-able object or a literal string (``[DONE]``)."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            time.sleep(fake.first_event_delay)
            for name, data in events:
                payload = data if isinstance(data, str) else json.dumps(data)
                raw = (f"event: {name}\n" if name else "") + f"data: {payload}\n\n"
                enc = raw.encode("utf-8")
                # Each event in two HTTP chunks, split mid-line, so the proxy's SSE parser
                # has to join reads.
                half = len(enc) // 2
                for part in (enc[:half], enc[half:]):
                    self._chunk(part)
                    time.sleep(EVENT_PAUSE_S)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _chunk(self, data: bytes) -> None:
            if data:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

        # ---- Chat Completions
        def _chat(self, body: dict) -> None:
            model = body.get("model") or fake.model
            stream = bool(body.get("stream"))
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            messages = body.get("messages") or []
            wants_tool = bool(body.get("tools")) and not (messages and messages[-1].get("role") == "tool")
            created = int(time.time())
            usage = {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59}
            if wants_tool:
                fn = body["tools"][0].get("function", {}).get("name", "tool")
                args = tool_arguments(body)
                if not stream:
                    self._send_json(
                        200,
                        {
                            "id": "chatcmpl-fake-tool",
                            "object": "chat.completion",
                            "created": created,
                            "model": model,
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {
                                        "role": "assistant",
                                        "content": None,
                                        "tool_calls": [
                                            {"id": "call_fake_1", "type": "function", "function": {"name": fn, "arguments": args}}
                                        ],
                                    },
                                    "logprobs": None,
                                    "finish_reason": "tool_calls",
                                }
                            ],
                            "usage": usage,
                        },
                    )
                    return

                def tool_events():
                    base = {"id": "chatcmpl-fake-tool", "object": "chat.completion.chunk", "created": created, "model": model}
                    yield None, {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": None, "tool_calls": [{"index": 0, "id": "call_fake_1", "type": "function", "function": {"name": fn, "arguments": ""}}]}, "logprobs": None, "finish_reason": None}]}
                    for frag in pieces(args):
                        yield None, {**base, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": frag}}]}, "logprobs": None, "finish_reason": None}]}
                    yield None, {**base, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}]}
                    if include_usage:
                        yield None, {**base, "choices": [], "usage": usage}
                    yield None, "[DONE]"

                self._send_sse(tool_events())
                return

            text = reply_text(chat_texts(body))
            if not stream:
                self._send_json(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": created,
                        "model": model,
                        "system_fingerprint": "fp_fake",
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": text, "refusal": None}, "logprobs": None, "finish_reason": "stop"}
                        ],
                        "usage": usage,
                    },
                )
                return

            def events():
                base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created, "model": model, "system_fingerprint": "fp_fake"}
                yield None, {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}]}
                for piece in pieces(text):
                    yield None, {**base, "choices": [{"index": 0, "delta": {"content": piece}, "logprobs": None, "finish_reason": None}]}
                yield None, {**base, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]}
                if include_usage:
                    yield None, {**base, "choices": [], "usage": usage}
                yield None, "[DONE]"

            self._send_sse(events())

        # ---- legacy Completions
        def _completions(self, body: dict) -> None:
            prompt = body.get("prompt")
            prompts = prompt if isinstance(prompt, list) else [prompt or ""]
            text = reply_text(str(p) for p in prompts)
            model = body.get("model") or fake.model
            created = int(time.time())
            usage = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
            if not body.get("stream"):
                self._send_json(
                    200,
                    {
                        "id": "cmpl-fake",
                        "object": "text_completion",
                        "created": created,
                        "model": model,
                        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}],
                        "usage": usage,
                    },
                )
                return

            def events():
                base = {"id": "cmpl-fake", "object": "text_completion", "created": created, "model": model}
                for piece in pieces(text):
                    yield None, {**base, "choices": [{"text": piece, "index": 0, "logprobs": None, "finish_reason": None}]}
                yield None, {**base, "choices": [{"text": "", "index": 0, "logprobs": None, "finish_reason": "stop"}]}
                yield None, "[DONE]"

            self._send_sse(events())

        # ---- Responses API
        def _responses(self, body: dict) -> None:
            text = reply_text(responses_texts(body))
            model = body.get("model") or fake.model
            created = int(time.time())
            msg_id = "msg_fake_1"
            usage = {
                "input_tokens": 30,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 12,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 42,
            }

            def response(status: str, output: list, with_usage: bool) -> dict:
                return {
                    "id": "resp_fake_1",
                    "object": "response",
                    "created_at": created,
                    "status": status,
                    "error": None,
                    "incomplete_details": None,
                    "instructions": body.get("instructions"),
                    "max_output_tokens": body.get("max_output_tokens"),
                    "model": model,
                    "output": output,
                    "parallel_tool_calls": True,
                    "previous_response_id": None,
                    "temperature": 1.0,
                    "text": {"format": {"type": "text"}},
                    "tool_choice": "auto",
                    "tools": [],
                    "top_p": 1.0,
                    "truncation": "disabled",
                    "usage": usage if with_usage else None,
                    "metadata": {},
                }

            def message(status: str, content: list) -> dict:
                return {"type": "message", "id": msg_id, "status": status, "role": "assistant", "content": content}

            part_done = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            final = response("completed", [message("completed", [part_done])], True)
            if not body.get("stream"):
                self._send_json(200, final)
                return

            def events():
                seq = 0

                def ev(name: str, **fields):
                    nonlocal seq
                    data = {"type": name, **fields, "sequence_number": seq}
                    seq += 1
                    return name, data

                yield ev("response.created", response=response("in_progress", [], False))
                yield ev("response.in_progress", response=response("in_progress", [], False))
                yield ev("response.output_item.added", output_index=0, item=message("in_progress", []))
                yield ev(
                    "response.content_part.added",
                    item_id=msg_id,
                    output_index=0,
                    content_index=0,
                    part={"type": "output_text", "text": "", "annotations": [], "logprobs": []},
                )
                for piece in pieces(text):
                    yield ev("response.output_text.delta", item_id=msg_id, output_index=0, content_index=0, delta=piece, logprobs=[])
                yield ev("response.output_text.done", item_id=msg_id, output_index=0, content_index=0, text=text, logprobs=[])
                yield ev("response.content_part.done", item_id=msg_id, output_index=0, content_index=0, part=part_done)
                yield ev("response.output_item.done", output_index=0, item=message("completed", [part_done]))
                yield ev("response.completed", response=final)

            self._send_sse(events())

        # ---- Embeddings
        def _embeddings(self, body: dict) -> None:
            inp = body.get("input")
            inputs = inp if isinstance(inp, list) else [inp]
            b64 = body.get("encoding_format") == "base64"
            data = []
            for i, item in enumerate(inputs):
                vec = fake_embedding(item if isinstance(item, str) else json.dumps(item))
                emb: Any = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode() if b64 else vec
                data.append({"object": "embedding", "index": i, "embedding": emb})
            self._send_json(
                200,
                {"object": "list", "data": data, "model": body.get("model") or fake.model, "usage": {"prompt_tokens": 9, "total_tokens": 9}},
            )

        # ---- Anthropic Messages
        def _messages(self, body: dict) -> None:
            text = reply_text(anthropic_texts(body))
            model = body.get("model") or "claude-fake"
            if not body.get("stream"):
                self._send_json(
                    200,
                    {
                        "id": "msg_fake_1",
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [{"type": "text", "text": text}],
                        "stop_reason": "end_turn",
                        "stop_sequence": None,
                        "usage": {"input_tokens": 25, "output_tokens": 15},
                    },
                )
                return

            def events():
                yield "message_start", {
                    "type": "message_start",
                    "message": {
                        "id": "msg_fake_1",
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": 25, "output_tokens": 1},
                    },
                }
                yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
                yield "ping", {"type": "ping"}
                for piece in pieces(text):
                    yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
                yield "content_block_stop", {"type": "content_block_stop", "index": 0}
                yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 15}}
                yield "message_stop", {"type": "message_stop"}

            self._send_sse(events())

    return Handler


# ---------------------------------------------------------------------------------------------
# Test data and checks shared by the test modules

# Fake personal data in valid formats (checksums hold: Luhn for the card, mod-97 for the IBAN).
# Not documentation examples, so no detector may wave them through as "obviously fake".
EMAIL = "jane.roe@example-mail.com"
EMAIL2 = "m.okafor@northwind-logistics.net"
PHONE = "+1 415 555 0132"
PHONE2 = "(415) 555-0178"
CARD = "4556 7375 8689 9855"
IBAN = "DE57 5001 0517 5407 3248 91"
SSN = "536-22-8417"
IP = "10.23.45.67"
AWS_KEY = "AKIA4HZQ7XK2M9PLR3TB"

ALL_PII = [EMAIL, EMAIL2, PHONE, PHONE2, CARD, IBAN, SSN, IP, AWS_KEY]

# Client credentials: must reach the upstream untouched, and appear in no log.
OPENAI_KEY = "sk-test-veilgate-9f2c41d7e8b64a0c"
ANTHROPIC_KEY = "sk-ant-test-veilgate-51c8e0a2b7d94f36"

# One user message carrying one value of every structured kind.
USER_TEXT = (
    f"Hi, I'm updating my account. My email is {EMAIL}, please call me on {PHONE}. "
    f"My SSN is {SSN}. Charge my card {CARD}, or use my IBAN {IBAN}. "
    f"Our VPN gateway at {IP} uses the AWS access key id {AWS_KEY}."
)
USER_TEXT_PII = [EMAIL, PHONE, SSN, CARD, IBAN, IP, AWS_KEY]


def assert_leaks_none(text: str, values: Iterable[str], where: str) -> None:
    leaked = [v for v in values if v in text]
    assert not leaked, f"{where} contains original values {leaked}:\n{text}"


def assert_all_restored(text: str, values: Iterable[str], where: str) -> None:
    missing = [v for v in values if v not in text]
    assert not missing, f"{where} lacks the original values {missing}:\n{text}"
    left = PLACEHOLDER_RE.findall(text)
    assert not left, f"{where} still contains placeholders {left}:\n{text}"


def placeholder_map(original: str, masked: str) -> dict[str, str]:
    """Lines the masked text up with the original: {original value: placeholder}.

    Fails if the masked text is not the original with some spans replaced by placeholders,
    or if one value was given two placeholders, or two values one placeholder."""
    names = PLACEHOLDER_RE.findall(masked)
    parts = PLACEHOLDER_RE.split(masked)
    pattern = "".join(re.escape(p) + ("(.+?)" if i < len(names) else "") for i, p in enumerate(parts))
    m = re.fullmatch(pattern, original, re.S)
    assert m, f"masked text does not line up with the original:\n  original: {original!r}\n  masked:   {masked!r}"
    out: dict[str, str] = {}
    for name, value in zip(names, m.groups()):
        assert out.get(value, name) == name, f"{value!r} got two placeholders, {out[value]} and {name}"
        out[value] = name
    back: dict[str, str] = {}
    for value, name in out.items():
        assert back.get(name, value) == value, f"{name} stands for both {back[name]!r} and {value!r}"
        back[name] = value
    return out


def placeholder_for(mapping: dict[str, str], value: str) -> str:
    """The placeholder that replaced ``value`` (which may sit inside a larger masked span)."""
    for original, name in mapping.items():
        if value in original:
            return name
    raise AssertionError(f"{value!r} was not masked as a whole (original span -> placeholder: {mapping})")
