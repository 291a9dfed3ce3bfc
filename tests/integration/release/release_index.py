"""A real package index for the release tests: pypiserver on a free loopback port.

pypiserver runs from the test environment when it is installed there (``pypiserver[passlib]``
in the test dependency group), otherwise pinned through ``uv tool run``. Authentication uses an
htpasswd file with ``{SHA}`` entries (passlib reads them), so writing one needs no passlib here.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PYPISERVER = "pypiserver[passlib]==2.4.2"
START_TIMEOUT = 60.0


def pypiserver_command() -> list[str]:
    if importlib.util.find_spec("pypiserver") and importlib.util.find_spec("passlib"):
        return [sys.executable, "-m", "pypiserver"]
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    return [uv, "tool", "run", "--from", PYPISERVER, "pypi-server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def htpasswd(path: Path, user: str, password: str) -> Path:
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()  # noqa: S324 - htpasswd's {SHA} format
    path.write_text(f"{user}:{{SHA}}{digest}\n", encoding="utf-8")
    return path


@dataclass
class IndexServer:
    url: str
    packages: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def simple(self) -> str:
        return self.url + "simple/"

    def files(self) -> list[str]:
        return sorted(p.name for p in self.packages.iterdir())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_index(directory: Path, *, user: str = "", password: str = "") -> IndexServer:
    """pypiserver serving ``directory/packages``; with a user, uploads and removals need login."""
    packages = directory / "packages"
    packages.mkdir(parents=True)
    port = free_port()
    if user:
        auth = ["-P", str(htpasswd(directory / "htpasswd", user, password)), "-a", "update"]
    else:
        auth = ["-P", ".", "-a", "."]
    log = directory / "server.log"
    argv = [*pypiserver_command(), "run", "-i", "127.0.0.1", "-p", str(port), *auth, str(packages)]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=env)
    server = IndexServer(f"http://127.0.0.1:{port}/", packages, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pypiserver exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(server.url, timeout=2):  # noqa: S310 - loopback
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"pypiserver did not answer in {START_TIMEOUT:g} s:\n{log.read_text()}")
