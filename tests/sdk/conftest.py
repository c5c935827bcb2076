"""Fixtures for the SDK tests: one fake upstream and one veilgate process for the session.

The proxy binary is ``$VEILGATE_BIN`` or ``target/debug/veilgate`` (built with ``cargo build``
when missing). It is started as a user would, ``veilgate serve --listen 127.0.0.1:0 --upstream
<fake>/v1``, with the Anthropic route and the audit log pointed by environment variables; its
port is read from the ``veilgate listening on http://…`` line on stderr, which is drained and
kept for the log checks. It is stopped with SIGTERM and must exit within 15 s.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from fake_upstream import FakeUpstream

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
LISTEN_RE = re.compile(r"veilgate listening on (https?)://(127\.0\.0\.1|\[::1\]|localhost):(\d+)")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# The SDKs and urllib honour HTTP(S)_PROXY; loopback traffic must never go through one.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost"]))


def pytest_collection_modifyitems(config, items):
    """Tests marked ``after_all`` (they stop the proxy and inspect its logs) go last."""
    items.sort(key=lambda item: item.get_closest_marker("after_all") is not None)


class Proxy:
    """A running ``veilgate serve`` and everything it wrote to stderr."""

    def __init__(self, binary: Path, upstream: FakeUpstream, workdir: Path, extra_env: dict[str, str | None] | None = None) -> None:
        self.binary = binary
        self.scheme = "http"
        self.audit_path = workdir / "audit.jsonl"
        env = {k: v for k, v in os.environ.items() if not k.startswith("VEILGATE__")}
        env.update(
            {
                "VEILGATE__UPSTREAM__ANTHROPIC_BASE_URL": upstream.base_url,
                "VEILGATE__AUDIT__PATH": str(self.audit_path),
                # The masking round trips here assert the cloud's exact text, which a drafted
                # opener would precede, so they run with the draft off; test_draft_sdk.py
                # drives the draft as shipped.
                "VEILGATE__DRAFT__ENABLED": "false",
                "VEILGATE_LOG": os.environ.get("VEILGATE_TEST_LOG", "info,veilgate=debug"),
                "NO_COLOR": "1",
                "RUST_BACKTRACE": "1",
            }
        )
        for key, value in (extra_env or {}).items():
            if value is None:  # None: leave the proxy's default
                env.pop(key, None)
            else:
                env[key] = value
        self.command = [str(binary), "serve", "--listen", "127.0.0.1:0", "--upstream", upstream.base_url]
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()
        self._listening = threading.Event()
        self.port: int | None = None
        self.returncode: int | None = None
        self.proc = subprocess.Popen(
            self.command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._drains = [
            threading.Thread(target=self._drain, args=(self.proc.stderr, True), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stdout, False), daemon=True),
        ]
        for t in self._drains:
            t.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._listening.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                why = f"exited with {self.proc.poll()}" if self.proc.poll() is not None else f"did not listen within {START_TIMEOUT_S} s"
                self._kill()
                pytest.fail(f"veilgate {why}; command {self.command}\n--- stderr ---\n{self.log}", pytrace=False)

    def _drain(self, pipe, is_stderr: bool) -> None:
        for raw in iter(pipe.readline, b""):
            line = ANSI_RE.sub("", raw.decode("utf-8", errors="replace"))
            with self._lines_lock:
                self._lines.append(line if is_stderr else "[stdout] " + line)
            if is_stderr and self.port is None:
                m = LISTEN_RE.search(line)
                if m:
                    self.scheme = m.group(1)
                    self.port = int(m.group(3))
                    self._listening.set()
        pipe.close()

    @property
    def log(self) -> str:
        with self._lines_lock:
            return "".join(self._lines)

    @property
    def root_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        """SIGTERM, then wait; the exit status. Fails if it takes longer than 15 s."""
        if self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._kill()
                self.returncode = self.proc.returncode
                pytest.fail(f"veilgate did not exit within {STOP_TIMEOUT_S} s of SIGTERM\n--- stderr ---\n{self.log}", pytrace=False)
        for t in self._drains:
            t.join(5)
        self.returncode = self.proc.returncode
        return self.returncode

    def _kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _binary() -> Path:
    override = os.environ.get("VEILGATE_BIN")
    if override:
        path = Path(override)
        if not path.is_file():
            pytest.exit(f"VEILGATE_BIN={override} does not exist", returncode=2)
        return path
    path = ROOT / "target" / "debug" / "veilgate"
    if not path.is_file():
        build = subprocess.run(["cargo", "build", "--bin", "veilgate"], cwd=ROOT, capture_output=True, text=True)
        if build.returncode != 0 or not path.is_file():
            pytest.exit(f"cargo build failed:\n{build.stderr[-6000:]}", returncode=2)
    return path


@pytest.fixture(scope="session")
def fake_upstream():
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


def binary() -> Path:
    """The veilgate binary under test (built once if missing)."""
    return _binary()


@pytest.fixture(scope="session")
def proxy(fake_upstream, tmp_path_factory):
    p = Proxy(_binary(), fake_upstream, tmp_path_factory.mktemp("veilgate"))
    yield p
    p.stop()


@pytest.fixture
def fake(fake_upstream, proxy, request):
    """The fake upstream with a clean record; checks afterwards that the proxy survived."""
    fake_upstream.reset()
    yield fake_upstream
    if request.node.get_closest_marker("after_all") is None:
        assert proxy.alive(), f"veilgate died during this test (exit {proxy.proc.poll()})\n--- stderr ---\n{proxy.log}"
