"""The real server for the live tests and the web latency benchmark: `reportgen serve` (gunicorn) on a free
loopback port, started in a project directory, waited for until its login page answers, and stopped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPORTGEN = [sys.executable, "-m", "generator"]
CHROMIUM = Path("/usr/bin/chromium")


class ServerDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def project_environment(**extra: str) -> dict[str, str]:
    """This process's environment without the variables that name another project (the test process's own Django
    project, state directory or configuration), plus `extra`."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("REPORTGEN_CONFIG", "REPORTGEN_STATE_DIR", "DJANGO_SETTINGS_MODULE")}
    return {**environment, **extra}


@contextmanager
def running_server(root: Path, environment: dict[str, str], *, log: Path | None = None,
                   timeout: float = 90) -> Iterator[str]:
    """Serve the project at `root`; yields its URL. Raises `ServerDidNotStart` (with its log) if it does not answer
    within `timeout` seconds."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (log.open("w") if log else open(os.devnull, "w")) as output:
        process = subprocess.Popen([*REPORTGEN, "serve", "--port", str(port)], cwd=root, env=environment,
                                   stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(url + "/login/", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise ServerDidNotStart(log.read_text(encoding="utf-8") if log else "") from None
                    time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
