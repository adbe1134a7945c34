"""cnntui's start-up, idle CPU and memory next to a bare Textual app, in one run.

    python benchmarks/bench_startup.py [--rounds 7] [--idle 10]

The bare app has a Header, a Static and a Footer. Both run in an 80x24
pseudo-terminal; "first paint" is the time from starting the process until
its first frame (the footer's "Quit") has been written. Rounds alternate
between the two apps so that load from other users hits both alike; the CPU
time each process used until its first frame is shown too, as it depends
far less on that load than the time on the clock. Then both
run side by side for --idle seconds with no input: the CPU time each used and
its resident memory at the end are compared.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield Static("ready")
        yield Footer()

Bare().run()
"""
MARKER = b"Quit"


def cnntui_command() -> list[str]:
    script = Path(sys.executable).with_name("cnntui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cnntui"]


class Running:
    def __init__(self, command: list[str], env: dict[str, str]):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True)
        os.close(slave)
        self.master = master
        self.output = b""

    def pump(self, timeout: float = 0.05) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.output += os.read(self.master, 1 << 16)
            except OSError:
                pass

    def wait_for_paint(self, timeout: float = 30) -> tuple[float, float]:
        """Seconds from the start to the first frame, on the clock and of CPU."""
        while MARKER not in self.output:
            if time.perf_counter() - self.started > timeout:
                raise RuntimeError(f"no first paint: {self.output[-300:]!r}")
            self.pump()
        return time.perf_counter() - self.started, self.cpu_seconds()

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def quit(self) -> None:
        os.write(self.master, b"\x11")  # ctrl+q quits both apps
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--mode", default=None, help="start the app in this mode (default: as a user would, no mode)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="cnntui-bench-"))
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "en_US.UTF-8", "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / "config")}
    commands = {"bare": [sys.executable, "-c", BARE_APP],
                "cnntui": cnntui_command() + ([args.mode] if args.mode else [])}
    try:
        paint = {name: [] for name in commands}
        paint_cpu = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                app = Running(command, env)
                wall, cpu = app.wait_for_paint()
                paint[name].append(wall)
                paint_cpu[name].append(cpu)
                app.quit()

        running = {name: Running(command, env) for name, command in commands.items()}
        for app in running.values():
            app.wait_for_paint()
        time.sleep(1)  # let start-up work settle
        before = {name: app.cpu_seconds() for name, app in running.items()}
        deadline = time.monotonic() + args.idle
        while time.monotonic() < deadline:
            for app in running.values():
                app.pump(0.05)
        cpu = {name: app.cpu_seconds() - before[name] for name, app in running.items()}
        rss = {name: app.rss_mib() for name, app in running.items()}
        for app in running.values():
            app.quit()
    finally:
        shutil.rmtree(home, ignore_errors=True)

    bare_paint, our_paint = statistics.median(paint["bare"]), statistics.median(paint["cnntui"])
    # Each round's two runs are back to back, so their ratio cancels slow changes in load.
    pairwise = statistics.median(ours / bare for ours, bare in zip(paint["cnntui"], paint["bare"]))
    print(f"first paint (median of {args.rounds}): bare {bare_paint * 1e3:.0f} ms, cnntui {our_paint * 1e3:.0f} ms, "
          f"ratio {our_paint / bare_paint:.2f}x, median of per-round ratios {pairwise:.2f}x (target <= 1.3x)")
    bare_cpu, our_cpu = statistics.median(paint_cpu["bare"]), statistics.median(paint_cpu["cnntui"])
    print(f"CPU until first paint (median): bare {bare_cpu * 1e3:.0f} ms, cnntui {our_cpu * 1e3:.0f} ms, "
          f"ratio {our_cpu / bare_cpu:.2f}x")
    print(f"CPU while idle for {args.idle:.0f} s: bare {cpu['bare'] * 1e3:.0f} ms, cnntui {cpu['cnntui'] * 1e3:.0f} ms "
          f"(target: no more than the bare app's)")
    print(f"resident memory when idle: bare {rss['bare']:.1f} MiB, cnntui {rss['cnntui']:.1f} MiB, "
          f"ratio {rss['cnntui'] / rss['bare']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
