"""`make run` from a fresh clone: seconds until /healthz answers.

Clones this repository (its committed HEAD) into a temp dir, then does what `make run`
does, one phase at a time so each is timed: `make install` (a fresh venv, every
dependency downloaded from PyPI or taken from pip's cache), `forum demo`, and `forum serve`
on a free port until /healthz answers 200. The total is the time a newcomer waits after
`git clone`; the clone itself is local and takes well under a second.

Run alone: `.venv/bin/python -m benchmarks.bench_make_run` (takes minutes: a real install).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from rich.console import Console

from benchmarks.harness import ROOT, Result

NAME = "make_run"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _timed(console: Console, label: str, cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        console.print(done.stdout[-2000:], done.stderr[-4000:])
        raise RuntimeError(f"{label} failed with exit code {done.returncode}")
    console.print(f"{label}: {seconds:.1f} s")
    return seconds


def _wait_healthz(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"forum serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def run(console: Console) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="forum-clone-") as tmp:
        clone = Path(tmp) / "forum"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FORUM_", "VIRTUAL_ENV"))}
        env["FORUM_DATA_DIR"] = str(clone / "var")
        phases: dict[str, float] = {}
        phases["clone"] = _timed(
            console, "git clone", ["git", "clone", "--quiet", str(ROOT), str(clone)], Path(tmp), env
        )
        phases["install"] = _timed(console, "make install", ["make", "install"], clone, env)
        forum = str(clone / ".venv" / "bin" / "forum")
        phases["demo"] = _timed(console, "forum demo", [forum, "demo"], clone, env)
        port = _free_port()
        start = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 - our own entry point
            [forum, "serve", "--port", str(port)],
            cwd=clone,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_healthz(f"http://127.0.0.1:{port}/healthz", proc)
            phases["serve"] = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        console.print(f"forum serve until /healthz answers: {phases['serve']:.1f} s")
    total = sum(phases.values())
    note = ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
    return [
        Result(
            NAME,
            "fresh clone to /healthz 200",
            total,
            "s",
            note=f"{note}; fresh venv, pip cache as found",
            extra=phases,
        )
    ]


if __name__ == "__main__":
    results = run(Console())
    for r in results:
        print(f"{r.metric}: {r.value:.1f} {r.unit} ({r.note})")
    sys.exit(0)
