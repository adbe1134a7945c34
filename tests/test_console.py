"""The real console script under a pseudo-terminal: it paints, and quits cleanly."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("cnntui")


class Terminal:
    """A pseudo-terminal of a given size running cnntui."""

    def __init__(self, args: list[str], home: Path, width: int = 80, height: int = 24):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
               "LANG": "en_US.UTF-8", "LC_ALL": ""}
        env.pop("NO_COLOR", None)
        self.process = subprocess.Popen([str(SCRIPT), *args], stdin=slave, stdout=slave, stderr=slave,
                                        env=env, start_new_session=True)
        os.close(slave)
        self.master = master
        self.output = b""

    def read_until(self, needle: bytes, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never appeared; got {self.output[-500:]!r}")
            self._drain()

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait(self, timeout: float = 15) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._drain()
        return self.process.wait(timeout=1)

    def _drain(self) -> None:
        ready, _, _ = select.select([self.master], [], [], 0.1)
        if ready:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                pass

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path):
    opened = []

    def start(*args: str) -> Terminal:
        opened.append(Terminal(list(args), tmp_path))
        return opened[-1]

    yield start
    for term in opened:
        term.close()


@pytest.mark.parametrize("quit_key", [b"q", b"\x11"], ids=["q", "ctrl+q"])
def test_console_script_paints_and_quits_cleanly(terminal, quit_key):
    term = terminal("build", "tinyvgg")
    term.read_until(b"tinyvgg")
    term.read_until(b"Quit")
    term.type(quit_key)
    assert term.wait() == 0
    assert b"\x1b[?1049l" in term.output, "the alternate screen was not left"
    assert b"Traceback" not in term.output


def test_console_script_switches_language_by_key(terminal):
    term = terminal("--lang", "en")
    term.read_until(b"Quit")
    term.type(b"l")
    term.read_until("退出".encode())
    term.type(b"q")
    assert term.wait() == 0
