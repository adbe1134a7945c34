#!/usr/bin/env python3
"""A battery of bad and awkward inputs for the ``cnntui`` command (issue #14).

Each case builds its files in a fresh temporary folder, runs ``python -m cnntui ...`` in a
subprocess with a fresh HOME, stdin from /dev/null (so the app commands find no terminal), a
timeout (a timeout is a hang) and an address-space limit (running out of memory is a failure),
and checks the promise of the README: a mistake ends with exit status 2 and exactly one line on
stderr starting ``cnntui: error:``; no traceback, no "internal error", no raw control character
(C0 but the newline, DEL, C1, bidirectional marks) in stdout or stderr; inputs byte-identical
afterwards and no stray files. Some cases must succeed (exit 0); a few may do either.

    python scripts/bad_inputs.py                 # every case, a table and "N of M held"
    python scripts/bad_inputs.py --quick         # about 20 fast cases
    python scripts/bad_inputs.py --case 'json-*' --verbose
    python scripts/bad_inputs.py --list

The app's own files (settings, progress, current.json) are tried on a pseudo-terminal: the app is
started with them prepared in HOME, a key that saves is typed, then Ctrl+Q; what was there must be
kept or set aside, never overwritten. `--tree DIR` runs another checkout's cnntui (for a figure
before the fixes: `git archive HEAD | tar -x -C DIR`).

Exit status 0 when every case held, 1 otherwise. Run as root, the unreadable-file cases run the
command as uid 65534 so that permissions apply.
"""

from __future__ import annotations

import argparse
import fcntl
import fnmatch
import hashlib
import io
import json
import os
import pty
import re
import resource
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

TIMEOUT = 20.0
ADDRESS_SPACE = 2 * 1024**3
PEAK_MEMORY = 1024 * 1024**2  # resident bytes a refused input may cost, at most
NOBODY = 65534
REPO = Path(__file__).resolve().parent.parent
TREE = [REPO]  # the checkout whose cnntui is run (--tree chooses another, e.g. an older commit's)
SAMPLE_PNG = REPO / "assets" / "samples" / "digit-3.png"

AREAS = {
    "h1": "h1 files and locks",
    "h2": "h2 outputs and train",
    "h3": "h3 reading, memory, hangs, crashes",
    "h4": "h4 messages and control characters",
    "ok": "baseline: good inputs and argument checks",
}

# What must never reach the terminal raw: the characters cnntui/core/printable.py escapes (C0
# controls, DEL, C1, the marks that reorder or break text), but the newline that ends each line.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")

# Text that tries to drive the terminal, put into names, keys, types and file names.
CONTROLS = {
    "newline": "evil\ncnntui: error: forged line",
    "csi-clear": "evil\x1b[2J\x1b[H",
    "osc-title": "evil\x1b]0;pwned\x07",
    "osc52": "evil\x1b]52;c;cHduZWQ=\x07",
    "c1-csi": "evil\x9b2J",
    "bidi": "evil\u202etxt.exe",
    "line-separator": "evil\u2028forged line",
}


@dataclass
class Case:
    name: str
    area: str
    make: Callable[[Path], list[str]]  # builds the case's files in the working folder; returns the arguments
    expect: str = "error"  # "error" (exit 2, one line), "ok" (exit 0) or "either"
    env: dict = field(default_factory=dict)
    may_create: tuple[str, ...] = ()  # files a successful run may add to the working folder
    must_vanish: tuple[str, ...] = ()  # files a successful run must remove (left-over temporary files)
    must_create: tuple[str, ...] = ()  # files a successful run must leave
    may_change: tuple[str, ...] = ()  # existing files a successful run may replace (asked to, or its own)
    ok_codes: tuple[int, ...] = (0,)  # exit statuses that count as success (130: stopped by Ctrl-C)
    interrupt_on: str = ""  # send Ctrl-C (SIGINT) once stderr holds this text
    as_nobody: bool = False  # run as uid 65534 when root, so that permissions apply
    fragment: str = ""  # text the error line must hold
    says: str = ""  # text stderr must hold when the command succeeds
    stdout_lacks: tuple[str, ...] = ()  # text that must not be printed
    timeout: float = TIMEOUT
    quick: bool = False

    @property
    def expected(self) -> str:
        success = " or ".join(map(str, self.ok_codes))
        return {"error": "exit 2, 1 line", "ok": f"exit {success}", "either": f"exit {success} or 2"}[self.expect]


@dataclass
class Outcome:
    case: Case
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    peak: int  # bytes resident at most
    problems: list[str]

    @property
    def held(self) -> bool:
        return not self.problems

    @property
    def got(self) -> str:
        if self.code is None:
            return f"hang (> {self.case.timeout:.0f} s)"
        if self.code < 0:
            return f"killed by {signal.Signals(-self.code).name}"
        if isinstance(self.case, AppCase):  # its "stderr" is the screen
            return f"exit {self.code}" + (f": {self.problems[0]}" if self.problems else "")
        if "internal error" in self.stderr:
            found = re.search(r"internal error: (\w+)", self.stderr)
            return f"exit {self.code}, internal error{': ' + found.group(1) if found else ''}"
        if "Traceback" in self.stderr:
            return f"exit {self.code}, traceback"
        if self.held:
            count = len(self.stderr.splitlines())
            return f"exit {self.code}, {count} line{'s' if count != 1 else ''}"
        return f"exit {self.code}: {self.problems[0]}"


CASES: list[Case] = []


def case(name: str, area: str, expect: str = "error", **options) -> Callable:
    """Register the decorated fixture builder as a case."""
    def register(make: Callable[[Path], list[str]]) -> Callable:
        if any(existing.name == name for existing in CASES):
            raise ValueError(f"two cases named {name}")
        CASES.append(Case(name, area, make, expect, **options))
        return make
    return register


# -- fixtures ---------------------------------------------------------------------

TINY = {"name": "tiny", "input": [1, 28, 28],
        "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 5, "stride": 4},
                   {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]}
TINY_SHAPES = {"0.weight": (2, 1, 5, 5), "0.bias": (2,), "3.weight": (10, 72), "3.bias": (10,)}


def tiny(**changes) -> dict:
    return json.loads(json.dumps({**TINY, **changes}))


def tiny_layer(**fields) -> dict:
    """The tiny network with its first layer changed."""
    net = tiny()
    net["layers"][0] = {**net["layers"][0], **fields}
    return net


def write(path: Path, data) -> str:
    """Write ``data`` (bytes, text or a JSON value) to ``path``; returns the path as an argument."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def weights_arrays(dtype=np.float32, fill: float | None = None) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    arrays = {key: rng.standard_normal(shape).astype(dtype) for key, shape in TINY_SHAPES.items()}
    if fill is not None:
        arrays["0.weight"][0, 0, 0, 0] = fill
    return arrays


def save_npz(path: Path, arrays: dict) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return str(path)


def save_npy(path: Path, array) -> str:
    with open(path, "wb") as handle:
        np.save(handle, array, allow_pickle=True)
    return str(path)


def npy_header(shape: tuple, descr: str = "<f4") -> bytes:
    """A version 1.0 .npy header (padded to 64 bytes) claiming ``shape``, whatever data follows."""
    text = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    length = 10 + len(text) + 1
    text += " " * ((-length) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin-1")


def forged_npz(path: Path, shape: tuple, key: str = "0.weight") -> str:
    """An .npz whose member claims ``shape`` but holds 16 bytes of data."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{key}.npy", npy_header(shape) + bytes(16))
    return str(path)


def bomb_npz(path: Path, mebibytes: int = 512) -> str:
    """A small .npz that inflates to ``mebibytes`` of zeros, its header saying so honestly."""
    count = mebibytes * 1024**2 // 4
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("0.weight.npy", "w", force_zip64=True) as member:
            member.write(npy_header((count,)))
            block = bytes(1024**2)
            for _ in range(mebibytes):
                member.write(block)
    return str(path)


def digit_image(mode: str = "L", size: tuple[int, int] = (32, 32)) -> Image.Image:
    return Image.open(SAMPLE_PNG).convert("L").resize(size).convert(mode)


def save_image(path: Path, image: Image.Image, **options) -> str:
    image.save(path, **options)
    return str(path)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(path: Path, width: int, height: int) -> str:
    """A tiny PNG whose header claims ``width`` x ``height`` grey pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(bytes(width + 1) * 4)) + png_chunk(b"IEND", b""))
    return write(path, data)


def make_fifo(path: Path) -> str:
    os.mkfifo(path)
    return str(path)


def make_socket(path: Path) -> str:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
    return str(path)


def unreadable(path: Path, data) -> str:
    write(path, data)
    path.chmod(0)
    return str(path)


def long_name(suffix: str, total: int = 250) -> str:
    return "n" * (total - len(suffix)) + suffix


def deep_json(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def stale_temp(folder: Path, target: str) -> str:
    """A left-over temporary file of a killed atomic write of ``target``, an hour old, named as
    cnntui/core/files.py names them."""
    path = folder / f".{target}.cnntui-0badf00d.tmp"
    path.write_bytes(b"half a file")
    old = time.time() - 3600
    os.utime(path, (old, old))
    return path.name


# -- network files (summary, export and the app commands) -----------------------------

@case("baseline-summary-preset", "ok", "ok", quick=True)
def _(work):
    return ["summary", "lenet5"]


@case("baseline-summary-file", "ok", "ok")
def _(work):
    return ["summary", write(work / "net.json", tiny())]


@case("baseline-app-no-terminal", "ok", "ok", quick=True)
def _(work):
    return ["build", write(work / "net.json", tiny())]


@case("json-not-json", "h3", quick=True)
def _(work):
    return ["summary", write(work / "net.json", "hello, this is not JSON\n")]


@case("json-empty-file", "h3")
def _(work):
    return ["summary", write(work / "net.json", b"")]


@case("json-truncated", "h3")
def _(work):
    return ["summary", write(work / "net.json", '{"input": [1, 28, 28], "layers": [{"type": "conv2d"')]


@case("json-top-level-list", "h3")
def _(work):
    return ["summary", write(work / "net.json", [1, 2, 3])]


@case("json-top-level-string", "h3")
def _(work):
    return ["summary", write(work / "net.json", "\"lenet5\"")]


@case("json-null", "h3")
def _(work):
    return ["summary", write(work / "net.json", "null")]


@case("json-not-utf8", "h3")
def _(work):
    return ["summary", write(work / "net.json", b'{"name": "\xff\xfe", "input": [1, 8, 8], "layers": []}')]


@case("json-utf16-bom", "h3", "either")
def _(work):
    return ["summary", write(work / "net.json", json.dumps(tiny()).encode("utf-16"))]


@case("json-deep-list-100000", "h3", quick=True)
def _(work):
    return ["summary", write(work / "net.json", deep_json(100_000))]


@case("json-deep-object-50000", "h3")
def _(work):
    return ["summary", write(work / "net.json", '{"a":' * 50_000 + "1" + "}" * 50_000)]


@case("json-deep-in-layer", "h3")
def _(work):
    text = json.dumps(tiny()).replace('"relu"}', '"relu", "x": ' + deep_json(100_000) + "}")
    return ["summary", write(work / "net.json", text)]


@case("json-3-MiB-description", "h3", "ok")
def _(work):
    return ["summary", write(work / "net.json", tiny(description="a" * 3_000_000))]


@case("json-30-MB-description", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny(description="a" * 30_000_000))]


@case("json-sparse-1-GiB", "h3")
def _(work):
    with open(work / "net.json", "wb") as handle:
        handle.truncate(1024**3)  # sparse: costs no disk, but reading it whole costs 1 GiB
    return ["summary", "net.json"]


@case("json-dev-zero", "h3", quick=True)
def _(work):
    return ["summary", "/dev/zero"]


@case("json-dev-urandom", "h3")
def _(work):
    return ["summary", "/dev/urandom"]


@case("json-fifo", "h3", quick=True)
def _(work):
    return ["summary", make_fifo(work / "net.json")]


@case("json-directory", "h3")
def _(work):
    (work / "net.json").mkdir()
    return ["summary", "net.json"]


@case("json-socket", "h3")
def _(work):
    return ["summary", make_socket(work / "net.json")]


@case("json-unreadable", "h3", as_nobody=True)
def _(work):
    return ["summary", unreadable(work / "net.json", tiny())]


@case("json-symlink-to-network", "ok", "ok")
def _(work):
    write(work / "real.json", tiny())
    (work / "net.json").symlink_to("real.json")
    return ["summary", "net.json"]


@case("json-dangling-symlink", "h3")
def _(work):
    (work / "net.json").symlink_to("gone.json")
    return ["summary", "net.json"]


@case("json-symlink-loop", "h3")
def _(work):
    (work / "net.json").symlink_to("net.json")
    return ["summary", "net.json"]


@case("json-symlink-to-fifo", "h3")
def _(work):
    make_fifo(work / "pipe")
    (work / "net.json").symlink_to("pipe")
    return ["summary", "net.json"]


@case("json-name-250-bytes", "ok", "ok")
def _(work):
    return ["summary", write(work / long_name(".json"), tiny())]


@case("json-name-300-bytes-missing", "h3")
def _(work):
    return ["summary", long_name(".json", 300)]


@case("json-path-4000-bytes-missing", "h3")
def _(work):
    return ["summary", "/".join(["d" * 200] * 20) + ".json"]


@case("json-input-not-a-list", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny(input="big"))]


@case("json-input-two-numbers", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny(input=[28, 28]))]


@case("json-input-10e20", "h3", "either")
def _(work):
    return ["summary", write(work / "net.json", tiny(input=[1, 10**20, 28]))]


@case("json-input-float", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny(input=[1, 28.5, 28]))]


@case("json-input-nan", "h3")
def _(work):
    return ["summary", write(work / "net.json", json.dumps(tiny()).replace("[1, 28, 28]", "[1, NaN, 28]"))]


@case("json-layers-object", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny(layers={"type": "relu"}))]


@case("json-layer-number", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny(layers=[7]))]


@case("json-channels-string", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(out_channels="6"))]


@case("json-channels-bool", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(out_channels=True))]


@case("json-channels-float", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(out_channels=2.5))]


@case("json-kernel-negative", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(kernel_size=-3))]


@case("json-kernel-zero", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(kernel_size=0))]


@case("json-kernel-10e30", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(kernel_size=10**30))]


@case("json-kernel-infinity", "h3")
def _(work):
    text = json.dumps(tiny_layer(kernel_size=5)).replace('"kernel_size": 5', '"kernel_size": Infinity')
    return ["summary", write(work / "net.json", text)]


@case("json-kernel-triple", "h3")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(kernel_size=[3, 3, 3]))]


@case("json-channels-10e20", "h3", "either")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(out_channels=10**20))]


@case("explain-int64-wraparound", "h4", "ok", stdout_lacks=("params: -", "= -"))
def _(work):
    # 10^15 inputs times 10^6 outputs: past int64's 9.2 * 10^18, within the engine's per-field limits.
    net = {"name": "wide", "input": [100_000, 100_000, 100_000],
           "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 1_000_000}]}
    return ["summary", write(work / "net.json", net), "--explain"]


@case("json-unknown-type", "h4", fragment="conv3d")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(type="conv3d"))]


@case("json-type-number", "h4")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(type=12))]


@case("json-unknown-key", "h4")
def _(work):
    return ["summary", write(work / "net.json", tiny_layer(kernal_size=5))]


for _label, _text in CONTROLS.items():
    def _type(work, text=_text):
        return ["summary", write(work / "net.json", tiny_layer(type=text))]

    def _key(work, text=_text):
        return ["summary", write(work / "net.json", tiny_layer(**{text: 1}))]

    def _name(work, text=_text):
        return ["summary", write(work / "net.json", tiny(name=text))]

    def _name_json(work, text=_text):
        return ["summary", write(work / "net.json", tiny(name=text, description=text)), "--json"]

    def _missing_file(work, text=_text):
        return ["summary", f"{text}.json"]

    def _bad_file(work, text=_text):
        return ["summary", write(work / f"{text}.json", "not json")]

    case(f"type-{_label}", "h4", quick=_label in ("newline", "osc52"))(_type)
    case(f"key-{_label}", "h4")(_key)
    # A newline in the name must not start a line of its own in the table.
    case(f"name-{_label}-summary", "h4", "ok", stdout_lacks=("\ncnntui: error: forged",),
         quick=_label == "csi-clear")(_name)
    case(f"name-{_label}-summary-json", "h4", "ok")(_name_json)
    case(f"filename-{_label}-missing", "h4")(_missing_file)
    case(f"filename-{_label}-not-json", "h4", quick=_label == "newline")(_bad_file)


def lone_surrogate(net: dict) -> str:
    """JSON text in which every "X" in a string is the escape \\ud800 (a lone surrogate: valid JSON,
    not encodable as UTF-8)."""
    return json.dumps(net).replace("X", "\\ud800")


@case("name-lone-surrogate-summary", "h4", "ok")
def _(work):
    return ["summary", write(work / "net.json", lone_surrogate(tiny(name="aXb")))]


@case("name-lone-surrogate-summary-json", "h4", "ok")
def _(work):
    return ["summary", write(work / "net.json", lone_surrogate(tiny(name="aXb"))), "--json"]


@case("type-lone-surrogate", "h4")
def _(work):
    return ["summary", write(work / "net.json", lone_surrogate(tiny_layer(type="conXv2d")))]


@case("export-name-lone-surrogate", "h4", "ok")
def _(work):
    return ["export", write(work / "net.json", lone_surrogate(tiny(name="aXb"))), "--to", "keras"]


@case("preset-name-escape", "h4")
def _(work):
    return ["summary", "lenet\x1b[2J"]


@case("export-name-escape", "h4", "ok")
def _(work):
    return ["export", write(work / "net.json", tiny(name=CONTROLS["osc52"], description=CONTROLS["csi-clear"])),
            "--to", "pytorch"]


@case("export-keras-type-newline", "h4")
def _(work):
    return ["export", write(work / "net.json", tiny_layer(type=CONTROLS["newline"])), "--to", "keras"]


@case("export-name-newline-code", "h4", "ok", stdout_lacks=("\nimport shutil",))
def _(work):
    net = tiny(name="x\nimport shutil; shutil.rmtree('/home')", description="y\nimport shutil; shutil.rmtree('/')",
               classes=[f"c{i}\nimport shutil" for i in range(10)])
    return ["export", write(work / "net.json", net), "--to", "pytorch"]


@case("export-keras-name-newline-code", "h4", "ok", stdout_lacks=("\nimport shutil",))
def _(work):
    net = tiny(name="x\nimport shutil; shutil.rmtree('/home')", description="y\r\nimport shutil")
    return ["export", write(work / "net.json", net), "--to", "keras"]


@case("filename-invalid-utf8-missing", "h4")
def _(work):
    return ["summary", "net\udcff\udcfe.json"]


@case("json-100000-layers", "h3", "either")
def _(work):
    return ["summary", write(work / "net.json", tiny(layers=[{"type": "relu"}] * 100_000))]


@case("forward-100000-layers", "h3", "either", may_create=("acts.npz",))
def _(work):
    net = tiny(layers=[{"type": "relu"}] * 100_000)
    return ["forward", write(work / "net.json", net), "--input", str(SAMPLE_PNG), "--out", "acts.npz"]


@case("export-fifo", "h3")
def _(work):
    return ["export", make_fifo(work / "net.json"), "--to", "pytorch"]


@case("export-deep-json", "h3")
def _(work):
    return ["export", write(work / "net.json", deep_json(100_000)), "--to", "keras"]


@case("export-dev-zero", "h3")
def _(work):
    return ["export", "/dev/zero", "--to", "pytorch"]


@case("app-build-fifo", "h3", quick=True)
def _(work):
    return ["build", make_fifo(work / "net.json")]


@case("app-view-dev-zero", "h3")
def _(work):
    return ["view", "/dev/zero"]


@case("app-learn-deep-json", "h3")
def _(work):
    return ["learn", write(work / "net.json", deep_json(100_000))]


@case("app-quiz-type-escape", "h4")
def _(work):
    return ["quiz", write(work / "net.json", tiny_layer(type=CONTROLS["osc-title"]))]


@case("app-build-name-escape-file", "h4")
def _(work):
    return ["build", f"{CONTROLS['csi-clear']}.json"]


# -- numbers on the command line -----------------------------------------------------

@case("input-shape-10e20", "h3", "either", quick=True, stdout_lacks=("params: -",))
def _(work):
    return ["summary", "lenet5", "--input", f"1x{10**20}x{10**20}"]


@case("input-shape-30000", "ok", "ok")
def _(work):
    return ["summary", "lenet5", "--input", "1x30000x30000"]


@case("input-shape-zero", "ok")
def _(work):
    return ["summary", "lenet5", "--input", "0x32x32"]


@case("input-shape-negative", "ok")
def _(work):
    return ["summary", "lenet5", "--input", "1x-32x32"]


@case("input-shape-fullwidth-digits", "h3", "either")
def _(work):
    return ["summary", "lenet5", "--input", "1x\uff13\uff12x\uff13\uff12"]


@case("input-shape-superscript", "h3")
def _(work):
    return ["summary", "lenet5", "--input", "1x32x\u00b2"]


@case("input-shape-escape", "h4")
def _(work):
    return ["summary", "lenet5", "--input", "1x\x1b[2Jx32"]


@case("forward-net-input-30000", "h3", quick=True)
def _(work):
    net = tiny(input=[1, 30000, 30000])
    return ["forward", write(work / "net.json", net), "--input", str(SAMPLE_PNG), "--out", "acts.npz"]


@case("forward-net-input-10e20", "h3")
def _(work):
    net = tiny(input=[1, 10**20, 10**20])
    return ["forward", write(work / "net.json", net), "--input", str(SAMPLE_PNG), "--out", "acts.npz"]


@case("forward-npy-1x30000x30000-sparse", "h3")
def _(work):
    array = np.lib.format.open_memmap(work / "x.npy", mode="w+", dtype=np.float32, shape=(1, 30000, 30000))
    del array  # a sparse file of 3.4 GiB: nothing is written, reading it costs the memory
    return ["forward", write(work / "net.json", tiny()), "--input", "x.npy", "--seed", "0", "--out", "acts.npz"]


@case("render-net-input-30000", "h3")
def _(work):
    net = tiny(input=[1, 30000, 30000])
    return ["render", write(work / "net.json", net), "--layer", "0", "--colors", "none"]


@case("train-samples-1", "h2", quick=True)
def _(work):
    return ["train", write(work / "net.json", tiny()), "--dataset", "digits", "--samples", "1", "--epochs", "1",
            "--out", "w.npz"]


@case("train-samples-2", "h2")
def _(work):
    return ["train", write(work / "net.json", tiny()), "--dataset", "digits", "--samples", "2", "--epochs", "1",
            "--out", "w.npz"]


@case("train-samples-200000", "h2")
def _(work):
    return ["train", "lenet5", "--dataset", "digits", "--samples", "200000", "--epochs", "1", "--out", "w.npz"]


@case("train-samples-10e20", "ok")
def _(work):
    return ["train", "lenet5", "--dataset", "digits", "--samples", str(10**20), "--out", "w.npz"]


@case("train-epochs-0", "ok")
def _(work):
    return ["train", "lenet5", "--dataset", "digits", "--epochs", "0", "--out", "w.npz"]


@case("train-epochs-negative", "ok")
def _(work):
    return ["train", "lenet5", "--dataset", "digits", "--epochs", "-1", "--out", "w.npz"]


@case("train-epochs-fullwidth", "h2", "either", may_create=("w.npz", "w.json"))
def _(work):
    return ["train", write(work / "net.json", tiny()), "--dataset", "digits", "--samples", "50", "--epochs", "\uff11",
            "--out", "w.npz"]


@case("train-batch-0", "ok")
def _(work):
    return ["train", "lenet5", "--dataset", "digits", "--batch", "0", "--out", "w.npz"]


@case("train-lr-nan", "ok")
def _(work):
    return ["train", "lenet5", "--dataset", "digits", "--lr", "nan", "--out", "w.npz"]


@case("train-lr-underflow", "ok")
def _(work):
    return ["train", "lenet5", "--dataset", "digits", "--lr", "1e-400", "--out", "w.npz"]


@case("train-dataset-escape", "h4")
def _(work):
    return ["train", "lenet5", "--dataset", "digits\x1b]0;x\x07", "--out", "w.npz"]


@case("train-wrong-dataset-for-net", "ok")
def _(work):
    return ["train", "tinyvgg", "--dataset", "digits", "--samples", "20", "--out", "w.npz"]


@case("render-width-0", "ok")
def _(work):
    return ["render", "lenet5", "--layer", "0", "--width", "0"]


@case("render-width-10e20", "ok")
def _(work):
    return ["render", "lenet5", "--layer", "0", "--width", str(10**20)]


@case("render-layer-10e20", "h3")
def _(work):
    return ["render", "lenet5", "--layer", str(10**20), "--colors", "none"]


@case("render-channel-10e20", "h3")
def _(work):
    return ["render", "lenet5", "--layer", "0", "--channel", str(10**20), "--colors", "none"]


@case("render-layer-superscript", "h3")
def _(work):
    return ["render", "lenet5", "--layer", "\u00b2", "--colors", "none"]


@case("forward-seed-10e30", "h3", "either", may_create=("acts.npz",))
def _(work):
    return ["forward", write(work / "net.json", tiny()), "--input", str(SAMPLE_PNG), "--seed", str(10**30),
            "--out", "acts.npz"]


@case("quiz-print-0", "ok")
def _(work):
    return ["quiz", "--print", "0"]


@case("quiz-print-10e20", "ok")
def _(work):
    return ["quiz", "--print", str(10**20)]


@case("quiz-seed-10e30", "h3", "either")
def _(work):
    return ["quiz", "--print", "2", "--seed", str(10**30)]


@case("quiz-topic-escape", "h4")
def _(work):
    return ["quiz", "--print", "2", "--topic", "padding\x1b]52;c;eA==\x07"]


# -- a lab's Latin-1 or ASCII output encoding ---------------------------------------------

@case("quiz-zh-latin1", "h3", "ok", env={"PYTHONIOENCODING": "latin-1"}, quick=True)
def _(work):
    return ["quiz", "--print", "3", "--lang", "zh"]


@case("quiz-zh-ascii", "h3", "ok", env={"PYTHONIOENCODING": "ascii"})
def _(work):
    return ["quiz", "--print", "3", "--lang", "zh"]


@case("quiz-json-latin1", "h3", "ok", env={"PYTHONIOENCODING": "latin-1"})
def _(work):
    return ["quiz", "--json", "--print", "2"]


@case("quiz-zh-lang-c", "h3", "ok", env={"LANG": "C", "LC_ALL": "C"})
def _(work):
    return ["quiz", "--print", "2", "--lang", "zh"]


@case("summary-chinese-name-latin1", "h3", "ok", env={"PYTHONIOENCODING": "latin-1"})
def _(work):
    return ["summary", write(work / "net.json", tiny(name="卷积网络"))]


@case("error-chinese-filename-latin1", "h3", env={"PYTHONIOENCODING": "latin-1"})
def _(work):
    return ["summary", "网络.json"]


# -- weights files ---------------------------------------------------------------------

def forward_with(weights: str, work: Path) -> list[str]:
    return ["forward", write(work / "net.json", tiny()), "--input", str(SAMPLE_PNG), "--weights", weights,
            "--out", "acts.npz"]


@case("baseline-forward-weights", "ok", "ok", may_create=("acts.npz",))
def _(work):
    return forward_with(save_npz(work / "w.npz", weights_arrays()), work)


@case("weights-junk", "h3")
def _(work):
    return forward_with(write(work / "w.npz", b"PK\x03\x04 this is not a zip archive"), work)


@case("weights-empty", "h3")
def _(work):
    return forward_with(write(work / "w.npz", b""), work)


@case("weights-pickle", "h3")
def _(work):
    arrays = weights_arrays()
    arrays["0.weight"] = np.array([{"evil": 1}, None], dtype=object)
    return forward_with(save_npz(work / "w.npz", arrays), work)


@case("weights-wrong-keys", "h3")
def _(work):
    return forward_with(save_npz(work / "w.npz", {"conv.weight": np.zeros(3, np.float32)}), work)


@case("weights-wrong-shape", "h3")
def _(work):
    arrays = weights_arrays()
    arrays["3.weight"] = np.zeros((10, 73), np.float32)
    return forward_with(save_npz(work / "w.npz", arrays), work)


@case("weights-string-dtype", "h3")
def _(work):
    arrays = weights_arrays()
    arrays["0.bias"] = np.array(["a", "b"])
    return forward_with(save_npz(work / "w.npz", arrays), work)


@case("weights-complex-dtype", "h3")
def _(work):
    return forward_with(save_npz(work / "w.npz", weights_arrays(np.complex64)), work)


@case("weights-float64", "h3", "either", may_create=("acts.npz",))
def _(work):
    return forward_with(save_npz(work / "w.npz", weights_arrays(np.float64)), work)


@case("weights-nan", "h3", "either", may_create=("acts.npz",))
def _(work):
    return forward_with(save_npz(work / "w.npz", weights_arrays(fill=np.nan)), work)


@case("weights-inf", "h3", "either", may_create=("acts.npz",))
def _(work):
    return forward_with(save_npz(work / "w.npz", weights_arrays(fill=np.inf)), work)


@case("weights-forged-10e11-floats", "h3", quick=True)
def _(work):
    return forward_with(forged_npz(work / "w.npz", (100_000_000_000,)), work)


@case("weights-forged-right-key-huge", "h3")
def _(work):
    return forward_with(forged_npz(work / "w.npz", (200_000, 1, 5, 5, 1000)), work)


@case("weights-deflate-bomb-512-MiB", "h3")
def _(work):
    return forward_with(bomb_npz(work / "w.npz"), work)


@case("weights-20000-members", "h3")
def _(work):
    with zipfile.ZipFile(work / "w.npz", "w") as archive:
        for index in range(20_000):
            archive.writestr(f"{index}.bias.npy", npy_header((1,)) + bytes(4))
    return forward_with("w.npz", work)


@case("weights-npy-not-npz", "h3")
def _(work):
    return forward_with(save_npy(work / "w.npy", np.zeros((2, 1, 5, 5), np.float32)), work)


@case("weights-fifo", "h3")
def _(work):
    return forward_with(make_fifo(work / "w.npz"), work)


@case("weights-dev-zero", "h3")
def _(work):
    return forward_with("/dev/zero", work)


@case("weights-directory", "h3")
def _(work):
    (work / "w.npz").mkdir()
    return forward_with("w.npz", work)


@case("weights-unreadable", "h3", as_nobody=True)
def _(work):
    save_npz(work / "w.npz", weights_arrays())
    (work / "w.npz").chmod(0)
    return forward_with("w.npz", work)


@case("weights-key-escape", "h4")
def _(work):
    return forward_with(save_npz(work / "w.npz", {**weights_arrays(), "\x1b]0;pwned\x07": np.zeros(1)}), work)


@case("weights-filename-newline", "h4")
def _(work):
    return forward_with(write(work / "w\ncnntui: error: forged.npz", b"junk"), work)


def forward_net(net: dict, work: Path, folder: str = ".") -> list[str]:
    path = write(work / folder / "net.json", net)
    return ["forward", path, "--input", str(SAMPLE_PNG), "--out", "acts.npz"]


@case("net-weights-inside-folder", "ok", "ok", may_create=("acts.npz",), says="w.npz")
def _(work):
    save_npz(work / "sub" / "w.npz", weights_arrays())
    return forward_net(tiny(weights="w.npz"), work, "sub")


@case("net-weights-etc-passwd", "h4", "either", quick=True, says="seeded random", may_create=("acts.npz",))
def _(work):
    return forward_net(tiny(weights="/etc/passwd"), work)


@case("net-weights-absolute-valid", "h4", "either", says="seeded random", may_create=("acts.npz",))
def _(work):
    path = save_npz(work / "elsewhere" / "w.npz", weights_arrays())
    return forward_net(tiny(weights=str(Path(path).resolve())), work, "net")


@case("net-weights-dotdot", "h4", "either", says="seeded random", may_create=("acts.npz",))
def _(work):
    save_npz(work / "x.npz", weights_arrays())
    return forward_net(tiny(weights="../../x.npz"), work, "a/b")


@case("net-weights-symlink-out", "h4", "either", says="seeded random", may_create=("acts.npz",))
def _(work):
    save_npz(work / "outside.npz", weights_arrays())
    (work / "net").mkdir()
    (work / "net" / "w.npz").symlink_to(work / "outside.npz")
    return forward_net(tiny(weights="w.npz"), work, "net")


@case("net-weights-fifo", "h3", "either", says="seeded random", may_create=("acts.npz",))
def _(work):
    make_fifo(work / "w.npz")
    return forward_net(tiny(weights="w.npz"), work)


@case("net-weights-number", "h4")
def _(work):
    return forward_net(tiny(weights=12), work)


@case("net-weights-escape-name", "h4", "either", says="seeded random", may_create=("acts.npz",))
def _(work):
    return forward_net(tiny(weights="\x1b[2J.npz"), work)


# -- input arrays and images -----------------------------------------------------------

def forward_input(path: str, work: Path) -> list[str]:
    return ["forward", write(work / "net.json", tiny()), "--input", path, "--seed", "0", "--out", "acts.npz"]


@case("baseline-forward-npy", "ok", "ok", may_create=("acts.npz",))
def _(work):
    return forward_input(save_npy(work / "x.npy", np.zeros((1, 28, 28), np.float32)), work)


@case("npy-zero-images", "h3", quick=True)
def _(work):
    return forward_input(save_npy(work / "x.npy", np.zeros((0, 1, 28, 28), np.float32)), work)


@case("npy-forged-huge-header", "h3")
def _(work):
    return forward_input(write(work / "x.npy", npy_header((1, 30000, 30000)) + bytes(64)), work)


@case("npy-forged-10e11", "h3")
def _(work):
    return forward_input(write(work / "x.npy", npy_header((100_000_000_000,)) + bytes(64)), work)


@case("npy-header-python-code", "h3")
def _(work):
    header = npy_header((1, 28, 28)).replace(b"'<f4'", b"__import__('os').system('touch pwned') or '<f4'")
    return forward_input(write(work / "x.npy", header + bytes(28 * 28 * 4)), work)


@case("npy-bool", "h3", "either", may_create=("acts.npz",))
def _(work):
    return forward_input(save_npy(work / "x.npy", np.ones((1, 28, 28), bool)), work)


@case("npy-uint8", "h3", "either", may_create=("acts.npz",))
def _(work):
    return forward_input(save_npy(work / "x.npy", np.full((1, 28, 28), 255, np.uint8)), work)


@case("npy-fortran-order", "ok", "ok", may_create=("acts.npz",))
def _(work):
    return forward_input(save_npy(work / "x.npy", np.asfortranarray(np.zeros((1, 28, 28), np.float32))), work)


@case("npy-object-pickle", "h3")
def _(work):
    return forward_input(save_npy(work / "x.npy", np.array([{"evil": 1}], dtype=object)), work)


@case("npy-string-dtype", "h3")
def _(work):
    return forward_input(save_npy(work / "x.npy", np.full((1, 28, 28), "a")), work)


@case("npy-complex", "h3")
def _(work):
    return forward_input(save_npy(work / "x.npy", np.zeros((1, 28, 28), np.complex64)), work)


@case("npy-nan", "h3")
def _(work):
    return forward_input(save_npy(work / "x.npy", np.full((1, 28, 28), np.nan, np.float32)), work)


@case("npy-inf", "h3")
def _(work):
    return forward_input(save_npy(work / "x.npy", np.full((1, 28, 28), np.inf, np.float32)), work)


@case("npy-float64-huge-values", "h3", "either", may_create=("acts.npz",))
def _(work):
    return forward_input(save_npy(work / "x.npy", np.full((1, 28, 28), 1e308, np.float64)), work)


@case("npy-five-dims", "h3")
def _(work):
    return forward_input(save_npy(work / "x.npy", np.zeros((1, 1, 1, 28, 28), np.float32)), work)


@case("npy-wrong-shape", "h3")
def _(work):
    return forward_input(save_npy(work / "x.npy", np.zeros((3, 28, 28), np.float32)), work)


@case("npy-truncated", "h3")
def _(work):
    data = io.BytesIO()
    np.save(data, np.zeros((1, 28, 28), np.float32))
    return forward_input(write(work / "x.npy", data.getvalue()[:200]), work)


@case("png-truncated", "h3")
def _(work):
    save_image(work / "full.png", digit_image())
    data = (work / "full.png").read_bytes()
    (work / "full.png").unlink()
    return forward_input(write(work / "x.png", data[: len(data) // 2]), work)


@case("png-zero-bytes", "h3")
def _(work):
    return forward_input(write(work / "x.png", b""), work)


@case("png-text-file", "h3")
def _(work):
    return forward_input(write(work / "x.png", "just some words\n"), work)


@case("png-bad-crc", "h3")
def _(work):
    save_image(work / "x.png", digit_image())
    data = bytearray((work / "x.png").read_bytes())
    data[29] ^= 0xFF  # inside IHDR's CRC
    return forward_input(write(work / "x.png", bytes(data)), work)


@case("png-claims-100000x100000", "h3")
def _(work):
    return forward_input(huge_png(work / "x.png", 100_000, 100_000), work)


@case("png-claims-15000x15000", "h3")
def _(work):
    return forward_input(huge_png(work / "x.png", 15_000, 15_000), work)


@case("bmp-claims-100000x100000", "h3")
def _(work):
    info = struct.pack("<IiiHHIIiiII", 40, 100_000, 100_000, 1, 24, 0, 0, 2835, 2835, 0, 0)
    header = b"BM" + struct.pack("<IHHI", 14 + len(info) + 16, 0, 0, 14 + len(info))
    return forward_input(write(work / "x.bmp", header + info + bytes(16)), work)


@case("tiff-claims-100000x100000", "h3")
def _(work):
    save_image(work / "small.tif", digit_image())
    data = bytearray((work / "small.tif").read_bytes())
    (work / "small.tif").unlink()
    count = struct.unpack_from("<H", data, struct.unpack_from("<I", data, 4)[0])[0]
    start = struct.unpack_from("<I", data, 4)[0] + 2
    for index in range(count):  # set ImageWidth (256) and ImageLength (257) to 100,000
        tag, kind = struct.unpack_from("<HH", data, start + 12 * index)
        if tag in (256, 257):
            struct.pack_into("<HHII", data, start + 12 * index, tag, 4, 1, 100_000)
    return forward_input(write(work / "x.tif", bytes(data)), work)


@case("png-ztxt-bomb", "h3", quick=True)
def _(work):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "a" * (8 * 1024**2), zip=True)
    return forward_input(save_image(work / "x.png", digit_image(), pnginfo=info), work)


@case("png-iccp-bomb", "h3")
def _(work):
    return forward_input(save_image(work / "x.png", digit_image(), icc_profile=bytes(8 * 1024**2)), work)


@case("image-cmyk-jpeg", "ok", "ok", may_create=("acts.npz",))
def _(work):
    return forward_input(save_image(work / "x.jpg", digit_image("CMYK")), work)


@case("image-16-bit-png", "ok", "ok", may_create=("acts.npz",))
def _(work):
    pixels = (np.asarray(digit_image(), np.uint16) * 257).astype(np.uint16)
    return forward_input(save_image(work / "x.png", Image.fromarray(pixels)), work)


@case("image-palette-png", "ok", "ok", may_create=("acts.npz",))
def _(work):
    return forward_input(save_image(work / "x.png", digit_image("RGB").convert("P")), work)


@case("image-alpha-png", "ok", "ok", may_create=("acts.npz",))
def _(work):
    return forward_input(save_image(work / "x.png", digit_image("LA")), work)


@case("image-float-tiff", "ok", "ok", may_create=("acts.npz",))
def _(work):
    return forward_input(save_image(work / "x.tif", digit_image("F")), work)


@case("image-1x1", "ok", "ok", may_create=("acts.npz",))
def _(work):
    return forward_input(save_image(work / "x.png", digit_image(size=(1, 1))), work)


@case("image-animated-gif", "ok", "ok", may_create=("acts.npz",))
def _(work):
    frames = [digit_image("P"), digit_image("P").rotate(90)]
    return forward_input(save_image(work / "x.gif", frames[0], save_all=True, append_images=frames[1:]), work)


@case("input-fifo", "h3", quick=True)
def _(work):
    return forward_input(make_fifo(work / "x.png"), work)


@case("input-dev-zero", "h3")
def _(work):
    return forward_input("/dev/zero", work)


@case("input-directory", "h3")
def _(work):
    (work / "x.png").mkdir()
    return forward_input("x.png", work)


@case("input-unreadable", "h3", as_nobody=True)
def _(work):
    save_image(work / "x.png", digit_image())
    (work / "x.png").chmod(0)
    return forward_input("x.png", work)


@case("input-filename-escape-ok", "h4", "ok", may_create=("acts.npz",))
def _(work):
    return forward_input(save_image(work / f"{CONTROLS['osc-title']}.png", digit_image()), work)


@case("input-filename-newline-ok", "h4", "ok", may_create=("acts.npz",))
def _(work):
    return forward_input(save_image(work / f"{CONTROLS['newline']}.png", digit_image()), work)


@case("render-input-fifo", "h3")
def _(work):
    return ["render", "lenet5", "--layer", "0", "--input", make_fifo(work / "x.png"), "--colors", "none"]


@case("render-input-unknown-escape", "h4")
def _(work):
    return ["render", "lenet5", "--layer", "0", "--input", "digit-\x9b2J", "--colors", "none"]


@case("render-name-escape", "h4", "ok")
def _(work):
    return ["render", write(work / "net.json", tiny(name=CONTROLS["csi-clear"])), "--layer", "0",
            "--colors", "none", "--width", "20"]


# -- output files ----------------------------------------------------------------------

def train_tiny(work: Path, out: str, *extra: str) -> list[str]:
    return ["train", "net.json", "--dataset", "digits", "--samples", "50", "--epochs", "1", *extra, "--out", out]


@case("baseline-train", "ok", "ok", may_create=("w.npz", "w.json"))
def _(work):
    write(work / "net.json", tiny())
    return train_tiny(work, "w.npz")


@case("train-out-beside-network", "h2", "either", may_create=("net.npz", "net.train.json", "net.record.json"),
      quick=True)
def _(work):
    write(work / "net.json", tiny())
    return train_tiny(work, "net.npz")


@case("train-out-is-network", "h2")
def _(work):
    write(work / "net.json", tiny())
    return train_tiny(work, "net.json")


@case("train-out-existing-file", "h2")
def _(work):
    write(work / "net.json", tiny())
    write(work / "thesis.npz", b"a student's work")
    return train_tiny(work, "thesis.npz")


@case("train-record-existing-file", "h2")
def _(work):
    write(work / "net.json", tiny())
    write(work / "w.json", '{"my": "notes"}')
    return train_tiny(work, "w.npz")


@case("train-out-existing-file-force", "h2", "ok", may_change=("thesis.npz",), may_create=("thesis.json",))
def _(work):
    write(work / "net.json", tiny())
    write(work / "thesis.npz", b"a student's work, replaced on purpose")
    return train_tiny(work, "thesis.npz", "--force")


@case("train-twice-same-out", "h2", "ok", may_change=("w.npz", "w.json"))
def _(work):
    write(work / "net.json", tiny())
    first = subprocess.run([sys.executable, "-m", "cnntui", *train_tiny(work, "w.npz")], cwd=work,
                           capture_output=True, env=environment(work, {}), timeout=TIMEOUT)
    if first.returncode:
        raise RuntimeError(f"the first run failed: {first.stderr.decode(errors='replace')[-300:]}")
    return train_tiny(work, "w.npz", "--seed", "1")


@case("train-out-directory", "h2")
def _(work):
    write(work / "net.json", tiny())
    (work / "w.npz").mkdir()
    return train_tiny(work, "w.npz")


@case("train-out-missing-folder", "h2")
def _(work):
    write(work / "net.json", tiny())
    return ["train", "net.json", "--dataset", "digits", "--samples", "3000", "--epochs", "200",
            "--out", "missing/w.npz"]


@case("train-out-unwritable-folder", "h2", as_nobody=True)
def _(work):
    write(work / "net.json", tiny())
    (work / "ro").mkdir(mode=0o555)
    return ["train", "net.json", "--dataset", "digits", "--samples", "3000", "--epochs", "200",
            "--out", "ro/w.npz"]


@case("train-out-symlink-to-network", "h2")
def _(work):
    write(work / "net.json", tiny())
    (work / "w.npz").symlink_to("net.json")
    return train_tiny(work, "w.npz")


@case("train-out-250-bytes", "h1", "ok", may_create=(long_name(".npz"), long_name(".json", 251)))
def _(work):
    write(work / "net.json", tiny())
    return train_tiny(work, long_name(".npz"))


@case("train-out-name-escape", "h4", "ok", may_create=("\x1b[2J.npz", "\x1b[2J.json"))
def _(work):
    write(work / "net.json", tiny())
    return train_tiny(work, "\x1b[2J.npz")


@case("train-ctrl-c-keeps-epochs", "h2", "ok", ok_codes=(0, 130), interrupt_on="epoch 2/",
      may_create=("w.npz", "w.json"), must_create=("w.npz", "w.json"))
def _(work):
    write(work / "net.json", tiny())
    return ["train", "net.json", "--dataset", "digits", "--samples", "3000", "--epochs", "500", "--out", "w.npz"]


def dataset_cache(work: Path) -> Path:
    """Where `train_tiny` finds its 50 drawn digits in the case's HOME (beside the working folder)."""
    folder = work.parent / "home" / ".cache" / "cnntui" / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "digits-28-50-0-v1.npz"


@case("train-cache-junk", "h3", "either", may_create=("w.npz", "w.json"))
def _(work):
    write(work / "net.json", tiny())
    write(dataset_cache(work), b"PK\x03\x04 not a zip")
    return train_tiny(work, "w.npz")


@case("train-cache-fifo", "h3", "either", may_create=("w.npz", "w.json"))
def _(work):
    write(work / "net.json", tiny())
    make_fifo(dataset_cache(work))
    return train_tiny(work, "w.npz")


@case("train-cache-forged-huge", "h3", "ok", may_create=("w.npz", "w.json"))  # damaged: set aside, drawn again
def _(work):
    write(work / "net.json", tiny())
    with zipfile.ZipFile(dataset_cache(work), "w") as archive:
        archive.writestr("x.npy", npy_header((100_000_000, 28, 28), "|u1") + bytes(16))
        archive.writestr("y.npy", npy_header((100_000_000,), "<i8") + bytes(16))
        archive.writestr("classes.npy", npy_header((10,), "<U1") + bytes(40))
    return train_tiny(work, "w.npz")


@case("train-cache-wrong-shapes", "h3", "either", may_create=("w.npz", "w.json"))
def _(work):
    write(work / "net.json", tiny())
    with open(dataset_cache(work), "wb") as handle:
        np.savez(handle, x=np.zeros((3, 2), np.float32), y=np.array(["a"]), classes=np.arange(3))
    return train_tiny(work, "w.npz")


@case("train-keeps-lookalike-temp", "h1", "ok", may_create=("w.npz", "w.json"))
def _(work):
    write(work / "net.json", tiny())
    write(work / ".w.npz.mine.tmp", b"a student's own file")
    old = time.time() - 3600
    os.utime(work / ".w.npz.mine.tmp", (old, old))
    return train_tiny(work, "w.npz")


@case("train-cleans-stale-temp", "h1", "ok", may_create=("w.npz", "w.json"), must_vanish=(".w.npz.cnntui-0badf00d.tmp",))
def _(work):
    write(work / "net.json", tiny())
    stale_temp(work, "w.npz")
    return train_tiny(work, "w.npz")


def forward_out(work: Path, out: str, *extra: str) -> list[str]:
    write(work / "net.json", tiny())
    save_npy(work / "x.npy", np.zeros((1, 28, 28), np.float32))
    return ["forward", "net.json", "--input", "x.npy", *extra, "--out", out]


@case("forward-out-is-input", "h2", quick=True)
def _(work):
    return forward_out(work, "x.npy")


@case("forward-out-is-network", "h2")
def _(work):
    return forward_out(work, "net.json")


@case("forward-out-is-weights", "h2")
def _(work):
    save_npz(work / "w.npz", weights_arrays())
    return forward_out(work, "w.npz", "--weights", "w.npz")


@case("forward-save-weights-is-weights", "h2")
def _(work):
    save_npz(work / "w.npz", weights_arrays())
    return forward_out(work, "acts.npz", "--weights", "w.npz", "--save-weights", "w.npz")


@case("forward-out-same-as-save-weights", "h2")
def _(work):
    return forward_out(work, "both.npz", "--seed", "1", "--save-weights", "both.npz")


@case("forward-out-existing-file", "h2")
def _(work):
    write(work / "thesis.npz", b"a student's work")
    return forward_out(work, "thesis.npz")


@case("forward-out-directory", "h2")
def _(work):
    (work / "acts.npz").mkdir()
    return forward_out(work, "acts.npz")


@case("forward-out-unwritable-folder", "h2", as_nobody=True)
def _(work):
    (work / "ro").mkdir(mode=0o555)
    return forward_out(work, "ro/acts.npz")


@case("forward-out-fifo", "h2")
def _(work):
    make_fifo(work / "acts.npz")
    return forward_out(work, "acts.npz")


@case("forward-out-char-device", "h2")
def _(work):
    if os.geteuid() == 0:  # a /dev/null of our own (1, 3), so a wrong rename replaces only this one
        os.mknod(work / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    else:
        make_fifo(work / "null")
    return forward_out(work, "null")


@case("forward-out-invalid-utf8", "h4", "ok", may_create=("acts\udcff.npz",))
def _(work):
    return forward_out(work, "acts\udcff.npz")


@case("train-out-fifo", "h2")
def _(work):
    write(work / "net.json", tiny())
    make_fifo(work / "w.npz")
    return train_tiny(work, "w.npz")


@case("render-png-fifo", "h2")
def _(work):
    make_fifo(work / "map.png")
    return ["render", "lenet5", "--layer", "0", "--colors", "none", "--width", "20", "--png", "map.png"]


@case("forward-out-250-bytes", "h1", "ok", may_create=(long_name(".npz"),))
def _(work):
    return forward_out(work, long_name(".npz"))


@case("forward-out-300-bytes", "h2")
def _(work):
    return forward_out(work, long_name(".npz", 300))


@case("forward-out-name-newline", "h4", "ok", may_create=(CONTROLS["newline"] + ".npz",))
def _(work):
    return forward_out(work, CONTROLS["newline"] + ".npz")


@case("render-png-is-network", "h2")
def _(work):
    write(work / "net.json", tiny())
    return ["render", "net.json", "--layer", "0", "--colors", "none", "--width", "20", "--png", "net.json"]


@case("render-png-existing-file", "h2")
def _(work):
    write(work / "holiday.png", b"a student's photo")
    return ["render", "lenet5", "--layer", "0", "--colors", "none", "--width", "20", "--png", "holiday.png"]


@case("render-png-directory", "h2")
def _(work):
    (work / "map.png").mkdir()
    return ["render", "lenet5", "--layer", "0", "--colors", "none", "--width", "20", "--png", "map.png"]


@case("render-png-unwritable-folder", "h2", as_nobody=True)
def _(work):
    (work / "ro").mkdir(mode=0o555)
    return ["render", "lenet5", "--layer", "0", "--colors", "none", "--width", "20", "--png", "ro/map.png"]


@case("baseline-render-png", "ok", "ok", may_create=("map.png",))
def _(work):
    return ["render", "lenet5", "--layer", "0", "--colors", "none", "--width", "20", "--png", "map.png"]


# -- the app on a terminal: its own files (settings, progress, current.json) -----------------

@dataclass
class AppCase:
    """The app run on a pseudo-terminal (80x24) with files of its own prepared in HOME; after it has
    drawn, ``keys`` are typed (each followed by a pause until the screen is quiet), then Ctrl+Q."""

    name: str
    area: str
    make: Callable[[Path, Path], list[str]]  # (home, work) -> the arguments; prepares the files
    check: Callable[[Path, dict, dict], list[str]]  # (home, before, after) -> problems with the files
    keys: tuple[bytes, ...] = (b"l",)  # "l" switches the language, which saves the settings
    as_nobody: bool = False
    expect: str = "ok"
    timeout: float = TIMEOUT
    quick: bool = False
    env: dict = field(default_factory=dict)
    sessions: int = 1  # app instances on the same HOME at once
    script: Callable | None = None  # (case, sessions) -> None: what is typed; default: ``keys`` into the first

    @property
    def expected(self) -> str:
        return "starts, exit 0"


APP_CASES: list[AppCase] = []
CONFIG = Path(".config/cnntui")
DATA = Path(".local/share/cnntui")


def app_case(name: str, area: str, check: Callable, **options) -> Callable:
    def register(make: Callable) -> Callable:
        APP_CASES.append(AppCase(name, area, make, check, **options))
        return make
    return register


def kept(relative: Path) -> Callable[[Path, dict, dict], list[str]]:
    """A check: what was at ``relative`` is still there unchanged, or was set aside beside it unchanged."""
    def check(home: Path, before: dict, after: dict) -> list[str]:
        key, entry = str(relative), before[str(relative)]
        if after.get(key) == entry:
            return []
        same = [name for name, other in after.items() if name.startswith(key + ".") and other[0] == entry[0]
                and (entry[0] != "file" or other[2] == entry[2])]
        if same:
            return []
        return [f"{key} {'overwritten' if key in after else 'lost'}, and not set aside"]
    return check


def settings_file(home: Path, data, mode: int = 0o644) -> Path:
    path = home / CONFIG / "settings.json"
    write(path, data)
    path.chmod(mode)
    return path


@app_case("app-settings-unreadable", "h1", kept(CONFIG / "settings.json"), as_nobody=True)
def _(home, work):
    settings_file(home, {"language": "zh", "theme": "my-own"}, mode=0)
    return []


@app_case("app-settings-directory", "h1", kept(CONFIG / "settings.json"))
def _(home, work):
    (home / CONFIG / "settings.json").mkdir(parents=True)
    return []


@app_case("app-settings-wrong-types", "h1", kept(CONFIG / "settings.json"))
def _(home, work):
    settings_file(home, {"language": 5, "colors": [1], "theme": {}, "network": 7})
    return []


@app_case("app-progress-wrong-types", "h1", kept(DATA / "progress.json"), keys=(b"\x1b",))
def _(home, work):
    write(home / DATA / "progress.json", {"version": "one", "questions": 5, "lessons": [None]})
    return ["quiz"]


@app_case("app-progress-unreadable", "h1", kept(DATA / "progress.json"), keys=(b"\x1b",), as_nobody=True)
def _(home, work):
    unreadable(home / DATA / "progress.json", {"version": 1})
    return ["quiz"]


@app_case("app-current-wrong-types", "h1", kept(CONFIG / "current.json"), keys=(b"2", b"x"))
def _(home, work):
    write(home / CONFIG / "current.json", {"layers": "many", "input": {}})
    return []


def mode_kept(home: Path, before: dict, after: dict) -> list[str]:
    entry = after.get(str(CONFIG / "settings.json"))
    if not entry or entry[0] != "file":
        return ["settings.json gone"]
    problems = [] if entry[1] == 0o600 else [f"settings.json's mode became {entry[1]:o}, was 600"]
    if entry == before[str(CONFIG / "settings.json")]:
        problems.append("settings.json not saved after 'l'")
    return problems


@app_case("app-settings-mode-600", "h1", mode_kept)
def _(home, work):
    settings_file(home, {"language": "en"}, mode=0o600)
    return []


def link_kept(home: Path, before: dict, after: dict) -> list[str]:
    entry = after.get(str(CONFIG / "settings.json"))
    if not entry or entry[0] != "link":
        return ["the settings symlink was replaced by a regular file"]
    if after.get("dotfiles/settings.json") == before["dotfiles/settings.json"]:
        return ["the symlink's target was not written through"]
    return []


@app_case("app-settings-symlink", "h1", link_kept)
def _(home, work):
    write(home / "dotfiles" / "settings.json", {"language": "en"})
    (home / CONFIG).mkdir(parents=True)
    (home / CONFIG / "settings.json").symlink_to(home / "dotfiles" / "settings.json")
    return []


def owned_by_home_owner(home: Path, before: dict, after: dict) -> list[str]:
    """After `sudo cnntui`, the student's own settings file still belongs to the student."""
    path = home / CONFIG / "settings.json"
    if not path.exists():
        return ["settings.json not saved after 'l'"]
    owner, student = path.stat().st_uid, NOBODY if os.geteuid() == 0 else os.getuid()
    return [] if owner == student else [f"settings.json now belongs to uid {owner}, not the home's owner {student}"]


@app_case("app-sudo-keeps-owner", "h1", owned_by_home_owner)
def _(home, work):
    settings_file(home, {"language": "en"})
    if os.geteuid() == 0:
        give_to_nobody(home)  # the student's home; the app runs as root, as `sudo cnntui` does
    return []


def both_changes_kept(home: Path, before: dict, after: dict) -> list[str]:
    path = home / CONFIG / "settings.json"
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"settings.json unreadable afterwards: {error}"]
    lost = [f"the {'first' if key == 'language' else 'second'} instance's {key} change was lost"
            for key, was in (("language", "en"), ("colors", "auto")) if settings.get(key) == was]
    return lost


def change_in_each(case: AppCase, sessions: list[AppSession]) -> None:
    sessions[0].type(b"l")  # the first switches the language
    sessions[1].type(b"c")  # the second, started before that, switches the colour mode


@app_case("app-two-instances-merge", "h1", both_changes_kept, sessions=2, script=change_in_each)
def _(home, work):
    settings_file(home, {"language": "en", "colors": "auto"})
    return []


def nothing_to_check(home: Path, before: dict, after: dict) -> list[str]:
    return []


@app_case("app-settings-sparse-1-GiB", "h3", kept(CONFIG / "settings.json"))
def _(home, work):
    (home / CONFIG).mkdir(parents=True)
    with open(home / CONFIG / "settings.json", "wb") as handle:
        handle.truncate(1024**3)
    return []


@app_case("app-progress-deep-json", "h3", kept(DATA / "progress.json"), keys=(b"\x1b",))
def _(home, work):
    write(home / DATA / "progress.json", deep_json(100_000))
    return ["quiz"]


@app_case("app-current-deep-json", "h3", kept(CONFIG / "current.json"), keys=(b"2",))
def _(home, work):
    write(home / CONFIG / "current.json", '{"layers": ' + deep_json(100_000) + "}")
    return []


@app_case("app-last-network-dev-zero", "h3", nothing_to_check)
def _(home, work):
    settings_file(home, {"network": "/dev/zero"})
    return []


def open_in_build(path: str) -> Callable:
    """Build mode's `o` (open a JSON file or preset), typing ``path`` and Enter."""
    def script(case: AppCase, sessions: list[AppSession]) -> None:
        for key in (b"2", b"o", path.encode(), b"\r"):
            sessions[0].type(key)
    return script


@app_case("app-build-open-fifo", "h3", nothing_to_check, script=open_in_build("pipe.json"))
def _(home, work):
    make_fifo(work / "pipe.json")
    return []


@app_case("app-build-open-dev-zero", "h3", nothing_to_check, script=open_in_build("/dev/zero"))
def _(home, work):
    return []


@app_case("app-build-open-deep-json", "h3", nothing_to_check, script=open_in_build("deep.json"))
def _(home, work):
    write(work / "deep.json", deep_json(100_000))
    return []


@app_case("app-last-network-fifo", "h3", nothing_to_check)
def _(home, work):
    settings_file(home, {"network": make_fifo(work / "last.json")})
    return []


@app_case("app-current-fifo", "h3", nothing_to_check)
def _(home, work):
    (home / CONFIG).mkdir(parents=True)
    make_fifo(home / CONFIG / "current.json")
    return []


@app_case("app-settings-fifo", "h3", nothing_to_check)
def _(home, work):
    (home / CONFIG).mkdir(parents=True)
    make_fifo(home / CONFIG / "settings.json")
    return []


@app_case("app-last-network-lone-surrogate", "h4", nothing_to_check, keys=(b"2",))
def _(home, work):
    path = write(work / "net.json", lone_surrogate(tiny(name="aXb")))
    settings_file(home, {"network": str(Path(path).resolve())})
    return []


@app_case("app-last-network-escape-name", "h4", nothing_to_check, keys=())
def _(home, work):
    path = write(work / "net.json", tiny(name="\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07"))
    settings_file(home, {"network": str(Path(path).resolve())})
    return []


def pump(master: int, screen: bytearray, quiet: float, limit: float) -> bool:
    """Read the terminal until it has been quiet for ``quiet`` seconds after some output; False if
    nothing came within ``limit``."""
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return last is not None
            if not chunk:
                return last is not None
            screen += chunk
            last = time.monotonic()
        elif last is not None and time.monotonic() - last > quiet:
            return True
    return last is not None


class AppSession:
    """The app running on a pseudo-terminal of 80x24: type keys into it, then quit it."""

    def __init__(self, args: list[str], home: Path, work: Path, drop: bool, env: dict):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.process = subprocess.Popen(command(args, drop), cwd=work, stdin=slave, stdout=slave, stderr=slave,
                                        env=environment(home, {"TERM": "xterm-256color", **env}),
                                        preexec_fn=limit_memory, start_new_session=True)
        os.close(slave)
        self.screen = bytearray()

    def drawn(self, limit: float) -> bool:
        return pump(self.master, self.screen, 1.0, limit)

    def type(self, key: bytes) -> None:
        os.write(self.master, key)
        pump(self.master, self.screen, 0.5, 5)

    def quit(self) -> tuple[int | None, int]:
        """Ctrl+Q, then (exit status or None when it would not quit within 10 s, peak resident bytes)."""
        os.write(self.master, b"\x11")
        code, peak, end = None, 0, time.monotonic() + 10
        while code is None and time.monotonic() < end:
            pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
            if pid:
                code, peak = os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024
                self.process.returncode = code
            else:
                pump(self.master, self.screen, 0.2, 0.3)
        if code is None:
            code, peak = wait(self.process, 0)  # kills it
        os.close(self.master)
        return code, peak

    @property
    def text(self) -> str:
        return self.screen.decode("utf-8", "replace")


def type_keys(case: AppCase, sessions: list[AppSession]) -> None:
    for key in case.keys:
        sessions[0].type(key)


def run_app_case(case: AppCase, keep: bool = False) -> Outcome:
    root = Path(tempfile.mkdtemp(prefix="cnntui-app-"))
    home, work = root / "home", root / "work"
    home.mkdir()
    work.mkdir()
    try:
        args = case.make(home, work)
        drop = case.as_nobody and os.geteuid() == 0
        if drop:
            give_to_nobody(root)
        before = snapshot(home)
        started = time.monotonic()
        sessions = [AppSession(args, home, work, drop, case.env) for _ in range(case.sessions)]
        problems = []
        if all(session.drawn(case.timeout) for session in sessions):
            (case.script or type_keys)(case, sessions)
        else:
            problems.append("the app drew nothing")
        codes, peak = zip(*(session.quit() for session in sessions))
        seconds = time.monotonic() - started
        text = "".join(session.text for session in sessions)
        code = None if None in codes else max(codes, key=abs)
        if code is None:
            problems.append("hang: did not start or quit")
        elif code != 0:
            problems.append(f"exit {code}, not 0")
        if "Traceback" in text:
            problems.append("a traceback")
        if max(peak) > PEAK_MEMORY:
            problems.append(f"used {max(peak) / 1024**2:,.0f} MiB")
        problems += case.check(home, before, snapshot(home))
        return Outcome(case, code, "", text, seconds, max(peak), problems)
    finally:
        if keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


# -- running a case ----------------------------------------------------------------------

def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: its kind, mode and content (a hash, or a link's target)."""
    entries = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(top) / name
            info = path.lstat()
            key = str(path.relative_to(folder))
            if stat.S_ISLNK(info.st_mode):
                entries[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                entries[key] = ("file", stat.S_IMODE(info.st_mode), digest.hexdigest())
            else:
                entries[key] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode))
    return entries


def environment(home: Path, extra: dict) -> dict[str, str]:
    keep = ("PATH", "TZ")
    env = {name: value for name, value in os.environ.items() if name in keep}
    env.update(HOME=str(home), LANG="C.UTF-8", TERM="dumb", PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=str(TREE[0]))
    env.update(extra)
    return env


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# Run as root, the interpreter may live where uid 65534 cannot read (e.g. under /root/.pyenv), so
# the command cannot simply be started as that user: this imports cnntui's modules (and Pillow's
# plugins) as root, then drops to uid 65534 and runs the command as `python -m cnntui` would.
AS_NOBODY = f"""
import asyncio, concurrent.futures.thread, importlib, os, pkgutil, sys
import encodings.ascii, encodings.latin_1
import cnntui, rich, textual
for package in (cnntui, textual, rich):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name.endswith("__main__"):
            continue  # importing it runs the command
        try:
            importlib.import_module(module.name)
        except Exception:
            pass
import PIL.Image
PIL.Image.init()
os.setgroups([])
os.setgid({NOBODY})
os.setuid({NOBODY})
from cnntui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def command(args: list[str], drop: bool) -> list[str]:
    return [sys.executable, "-c", AS_NOBODY, *args] if drop else [sys.executable, "-m", "cnntui", *args]


def give_to_nobody(root: Path) -> None:
    root.chmod(0o755)
    for top, dirs, files in os.walk(root):
        for name in [*dirs, *files, ""]:
            os.lchown(Path(top) / name, NOBODY, NOBODY)


def wait(process: subprocess.Popen, timeout: float, interrupt_on: str = "", stderr=None) -> tuple[int | None, int]:
    """(exit status or None on a timeout, peak resident bytes) of ``process``, killed on a timeout;
    interrupted (as by Ctrl-C) once the file ``stderr`` holds ``interrupt_on``."""
    deadline = time.monotonic() + timeout
    while True:
        if interrupt_on and interrupt_on in Path(stderr).read_text(errors="replace"):
            os.killpg(process.pid, signal.SIGINT)
            interrupt_on = ""
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage.ru_maxrss * 1024
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            return None, usage.ru_maxrss * 1024
        time.sleep(0.01)


def run_case(case: Case, keep: bool = False) -> Outcome:
    root = Path(tempfile.mkdtemp(prefix="cnntui-bad-"))
    home, work = root / "home", root / "work"
    home.mkdir()
    work.mkdir()
    try:
        args = case.make(work)
        drop = case.as_nobody and os.geteuid() == 0
        if drop:
            give_to_nobody(root)
        before = snapshot(work)
        encoding = case.env.get("PYTHONIOENCODING", "utf-8")
        with open(root / "stdout", "w+b") as out, open(root / "stderr", "w+b") as err:
            started = time.monotonic()
            process = subprocess.Popen(command(args, drop), cwd=work, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=err, env=environment(home, case.env),
                                       preexec_fn=limit_memory, start_new_session=True)
            code, peak = wait(process, case.timeout, case.interrupt_on, err.name)
            seconds = time.monotonic() - started
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode(encoding, "replace")
            stderr = err.read().decode(encoding, "replace")
        after = snapshot(work)
        problems = judge(case, code, stdout, stderr, peak, before, after)
        return Outcome(case, code, stdout, stderr, seconds, peak, problems)
    finally:
        if keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def judge(case: Case, code: int | None, stdout: str, stderr: str, peak: int,
          before: dict, after: dict) -> list[str]:
    """What went wrong, in a few words each; empty when the case held."""
    if code is None:
        return [f"hang: no exit within {case.timeout:.0f} s"]
    problems = []
    if code < 0:
        problems.append(f"killed by {signal.Signals(-code).name}")
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("cnntui: error: ")]
    strays = [line for line in lines if not line.startswith("cnntui: ")]
    if "Traceback" in stdout + stderr:
        problems.append("a traceback")
    if "internal error" in stderr:
        problems.append("an internal error")
    for where, text in (("stdout", stdout), ("stderr", stderr)):
        found = RAW_CONTROL.search(text)
        if found:
            problems.append(f"raw {found.group()!r} in {where}")
    wants_error = case.expect == "error" or (case.expect == "either" and code not in case.ok_codes)
    if wants_error:
        if code != 2:
            problems.append(f"exit {code}, not 2")
        if len(errors) != 1:
            problems.append(f"{len(errors)} 'cnntui: error:' lines, not 1")
        elif lines[-1] != errors[0]:
            problems.append("the error line is not the last")
        if case.fragment and not any(case.fragment in line for line in errors):
            problems.append(f"the error does not name {case.fragment!r}")
    else:
        if code not in case.ok_codes:
            problems.append(f"exit {code}, not {' or '.join(map(str, case.ok_codes))}")
        if errors:
            problems.append("an error line")
        if case.says and case.says not in stderr:
            problems.append(f"stderr does not say {case.says!r}")
    if strays:
        problems.append(f"a stderr line not starting 'cnntui: ': {strays[0][:60]!r}")
    problems += [f"printed {text!r}" for text in case.stdout_lacks if text in stdout]
    if peak > PEAK_MEMORY:
        problems.append(f"used {peak / 1024**2:,.0f} MiB")
    problems += file_problems(case, code in case.ok_codes, before, after)
    return problems


def file_problems(case: Case, succeeded: bool, before: dict, after: dict) -> list[str]:
    problems = []
    allowed = set(case.may_create) if succeeded else set()
    for name, entry in before.items():
        if name in case.must_vanish and succeeded:
            if name in after:
                problems.append(f"left-over {name!r} not cleaned up")
        elif after.get(name) != entry and not (succeeded and name in case.may_change):
            problems.append(f"input {name!r} {'removed' if name not in after else 'changed'}")
    if succeeded:
        problems += [f"{name!r} not written" for name in case.must_create if name not in after]
    new = [name for name in after if name not in before and name not in allowed]
    if new:
        problems.append(f"stray file {new[0]!r}")
    return problems


# -- the report ----------------------------------------------------------------------

def shown(text: str) -> str:
    """``text`` safe to print: control characters as escapes."""
    return RAW_CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text.replace("\n", "\\n"))


def print_table(results, verbose: bool) -> list[Outcome]:
    """Print each outcome as it arrives, then the failures by area and the figure; returns them all."""
    print(f"{'case':<36} {'area':<4} {'expected':<15} {'got':<44} ok", flush=True)
    print("-" * 103)
    outcomes = []
    for outcome in results:
        outcomes.append(outcome)
        print(f"{outcome.case.name:<36.36} {outcome.case.area:<4} {outcome.case.expected:<15} "
              f"{shown(outcome.got):<44.44} {'ok' if outcome.held else 'FAIL'}")
        if verbose or not outcome.held:
            for problem in outcome.problems:
                print(f"    - {shown(problem)}")
            if not isinstance(outcome.case, AppCase):
                for line in outcome.stderr.splitlines()[-3:]:
                    print(f"    stderr: {shown(textwrap.shorten(line, 200))}")
        sys.stdout.flush()
    print()
    failing = [o for o in outcomes if not o.held]
    for area, title in AREAS.items():
        names = [o.case.name for o in failing if o.case.area == area]
        if names:
            print(f"{title}: {len(names)} failing: {', '.join(names)}")
    held = sum(outcome.held for outcome in outcomes)
    seconds = sum(o.seconds for o in outcomes)
    print(f"{held} of {len(outcomes)} held ({seconds:.0f} s of commands)")
    return outcomes


def selected(names: list[str] | None, quick: bool) -> list:
    cases = [c for c in CASES if c.quick] if quick else [*CASES, *APP_CASES]
    if names:
        cases = [c for c in [*CASES, *APP_CASES]
                 if any(fnmatch.fnmatchcase(c.name, pattern) for pattern in names)]
    return cases


def run_any(case, keep: bool) -> Outcome:
    return run_app_case(case, keep) if isinstance(case, AppCase) else run_case(case, keep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", metavar="NAME", help="run this case (a glob; repeat for more)")
    parser.add_argument("--quick", action="store_true", help="only the quick subset (about 20 cases)")
    parser.add_argument("--list", action="store_true", help="list the cases and stop")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at once (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep each case's folder")
    parser.add_argument("--verbose", action="store_true", help="show every case's problems and stderr")
    parser.add_argument("--tree", type=Path, default=REPO,
                        help="run the cnntui of this checkout (default: this script's), e.g. one made with "
                             "'git archive HEAD | tar -x -C DIR'")
    args = parser.parse_args(argv)
    TREE[0] = args.tree.resolve()
    cases = selected(args.case, args.quick)
    if not cases:
        parser.error("no case matches")
    if args.list:
        for item in cases:
            print(f"{item.name:<36} {item.area:<4} {item.expected}{'  (quick)' if item.quick else ''}")
        print(f"{len(cases)} cases")
        return 0
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        outcomes = print_table(pool.map(lambda item: run_any(item, args.keep), cases), args.verbose)
    return 0 if all(outcome.held for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
