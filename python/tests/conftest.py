"""The real thing for the package's tests: a Temporal dev server, the LiteLLM emulator and the project's
worker, each started here as its own process and stopped by its own handle (pid), failure included."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-python-tests-master-key-0123"
ENCRYPTION_KEYS = "py-test-key:" + base64.b64encode(b"litellm-workflows-py-test-key-32").decode()
SEARCH_ATTRIBUTES = ["LiteLLMOrgId", "LiteLLMUserId", "LiteLLMTeamId", "LiteLLMState"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: "Process", timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited ({process.popen.returncode}):\n{process.output()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not listen on {port}:\n{process.output()}")


class Process:
    """A child process with its output captured; ``stop()`` ends it by its pid (SIGTERM, then SIGKILL)."""

    def __init__(self, name: str, args: list[str], env: Optional[dict[str, str]] = None) -> None:
        self.name = name
        self.lines: list[str] = []
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines[-60:])

    def wait_for_line(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.output()}")
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} never printed {text!r}:\n{self.output()}")

    def stop(self, grace: float = 10) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def temporal_cli() -> str:
    path = os.environ.get("TEMPORAL_CLI_PATH") or shutil.which("temporal")
    if path:
        return path
    found = subprocess.run(
        ["npx", "tsx", "scripts/temporal-cli.ts"], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return found.stdout.strip().splitlines()[-1]


def node_script(script: str) -> list[str]:
    # `node --import tsx`: one process, so its pid is the process to stop.
    return ["node", "--import", "tsx", str(ROOT / script)]


class Emulator:
    """The LiteLLM emulator's admin API (as the worker sees it) and its control endpoints."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)

    def journal(self) -> list[dict[str, Any]]:
        return self.call("GET", "/_emulator/journal")

    def writes(self, since: int = 0) -> list[dict[str, Any]]:
        return [e for e in self.journal()[since:] if e["method"] == "POST"]

    def state(self) -> dict[str, Any]:
        return self.call("GET", "/_emulator/state")

    def team(self, team_id: str) -> dict[str, Any]:
        return next(t for t in self.state()["teams"] if t["team_id"] == team_id)

    def fault(self, rule: dict[str, Any]) -> None:
        self.post("/_emulator/faults", rule)

    def clear_faults(self) -> None:
        self.call("DELETE", "/_emulator/faults")


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    address = os.environ.get("TEMPORAL_ADDRESS")
    if address:
        yield address
        return
    port = free_port()
    args = [temporal_cli(), "server", "start-dev", "--headless", "--port", str(port), "--log-level", "error"]
    for name in SEARCH_ATTRIBUTES:
        args += ["--search-attribute", f"{name}=Keyword"]
    server = Process("temporal dev server", args)
    try:
        wait_for_port(port, server)
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    port = free_port()
    process = Process("emulator", [*node_script("emulator/main.ts"), "--port", str(port), "--master-key", MASTER_KEY])
    try:
        wait_for_port(port, process)
        yield Emulator(f"http://127.0.0.1:{port}")
    finally:
        process.stop()


@pytest.fixture(scope="session")
def task_queue(temporal_address: str, emulator: Emulator) -> Iterator[str]:
    """The project's worker process, polling its own task queue."""
    queue = f"py-tests-{uuid.uuid4()}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "TEMPORAL_ADDRESS": temporal_address,
        "LITELLM_TASK_QUEUE": queue,
        "LITELLM_API_URL": emulator.url,
        "LITELLM_API_KEY": MASTER_KEY,
        "LITELLM_DEFAULT_TEAM_ID": "openhands-default",
        "LITELLM_KEY_DERIVATION_SECRET": "py-test-key-derivation-secret",
        "LITELLM_WORKFLOWS_ENCRYPTION_KEYS": ENCRYPTION_KEYS,
        "WORKER_SHUTDOWN_GRACE_MS": "3000",
    }
    worker = Process("worker", node_script("src/worker.ts"), env)
    try:
        worker.wait_for_line('"state":"RUNNING"')
        yield queue
    finally:
        worker.stop()
        leaked = [line for line in worker.lines if MASTER_KEY in line]
        assert not leaked, "the worker logged the master key"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
