"""What a trained network names in people's images: the work of ``cnntui predict``, without Textual.

The images are gathered from the paths given (a folder gives every file in it), read one by one,
and run through the network in chunks that fit its memory budget, so that a folder of ten
thousand images needs no more memory than one chunk. A file that cannot be read becomes a
prediction that says why, and the rest go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.cells import cell_len

from .core import CnntuiError
from .core.errors import system_reason
from .core.network import MEMORY_BUDGET, finite_float32
from .core.printable import printable
from .core.shapes import shape_text
from .images import load_array, read_image
from .render.text import terminal_width

MAX_CHUNK = 64  # images run at once: large enough to be quick, small enough for steady progress


@dataclass(frozen=True)
class Guess:
    name: str  # the class's name
    index: int  # the network's output
    probability: float


@dataclass(frozen=True)
class Prediction:
    image: str  # the file as the user named it (a folder's files as folder/name)
    top: tuple[Guess, ...] = ()
    error: str | None = None  # why the file could not be read, in English
    steps: tuple[str, ...] = ()  # the digit preparation's step codes (digit_input.prepare_digit)

    def to_json(self) -> dict:
        if self.error is not None:
            return {"image": self.image, "error": self.error}
        entry = {"image": self.image, "top": [{"class": guess.name, "index": guess.index,
                                               "probability": guess.probability} for guess in self.top]}
        return {**entry, "steps": list(self.steps)} if self.steps else entry


# -- which files --------------------------------------------------------------

def gather_images(arguments: Iterable[str]) -> list[str]:
    """Each file given, and every file in each folder given (not its subfolders; sorted by name;
    hidden files skipped), as paths the user would recognise. A path that does not exist, or a
    folder with no files, is a CnntuiError before anything is read."""
    paths: list[str] = []
    for argument in arguments:
        if os.path.isdir(argument):
            paths += folder_files(argument)
        elif os.path.lexists(argument):
            paths.append(argument)  # read later, so that a file that is not an image gets its row
        else:
            raise CnntuiError("predict_missing", path=argument)
    return paths


def folder_files(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries if not entry.name.startswith(".") and entry.is_file())
    except OSError as error:
        raise CnntuiError("folder_unreadable", path=folder, reason=system_reason(error)) from None
    if not names:
        subfolder = first_subfolder(folder)
        if subfolder is not None:
            raise CnntuiError("predict_only_folders", path=folder, example=os.path.join(folder, subfolder))
        raise CnntuiError("predict_empty_folder", path=folder)
    return [os.path.join(folder, name) for name in names]


def first_subfolder(folder: str) -> str | None:
    """The first (by name) visible subfolder of ``folder``, or None."""
    try:
        with os.scandir(folder) as entries:
            return min((entry.name for entry in entries if not entry.name.startswith(".") and entry.is_dir()),
                       default=None)
    except OSError:
        return None


# -- the network's side ---------------------------------------------------------

def check_classifier(net) -> int:
    """The number of classes: the network must end in one score per class."""
    output = tuple(net.summary()[-1].output_shape)
    if len(output) != 1:
        raise CnntuiError("predict_not_classifier", name=net.name, shape=shape_text(output))
    return output[0]


def class_names(net) -> list[str]:
    """The names of the network's outputs: its classes, else their numbers."""
    count = check_classifier(net)
    names = net.classes
    return list(names) if names and len(names) == count else [str(index) for index in range(count)]


def ends_in_softmax(net) -> bool:
    return net.summary()[-1].type == "softmax"


def chunk_size(net, memory_budget: int = MEMORY_BUDGET) -> int:
    """How many images one forward pass may take within ``memory_budget``, at most MAX_CHUNK
    (``net.check_memory`` refuses a network that cannot take even one)."""
    net.check_memory(1, memory_budget)
    per_image = net.memory_needed(1) - net.memory_needed(0)
    return max(1, min(MAX_CHUNK, (memory_budget - net.memory_needed(0)) // per_image))


def probabilities(net, outputs: np.ndarray) -> np.ndarray:
    """(N, classes) probabilities: the output itself after a softmax layer, else its softmax."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if ends_in_softmax(net):
        return outputs
    shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def best(row: np.ndarray, names: list[str], top: int) -> tuple[Guess, ...]:
    order = np.argsort(-row, kind="stable")[:top]
    return tuple(Guess(names[index], int(index), float(row[index])) for index in order)


# -- reading and running ----------------------------------------------------------

@dataclass
class _Pending:
    """Predictions read but not yet run, in the order given, and the inputs that have to run."""
    rows: list[tuple[str, tuple[str, ...], str | None]] = field(default_factory=list)  # (image, steps, error)
    inputs: list[np.ndarray] = field(default_factory=list)


def read_one(path: str, net, digits: bool) -> Iterator[tuple[str, np.ndarray | None, tuple[str, ...], str | None]]:
    """(name, input, steps, error) for the file at ``path``: one for an image, one per sample for a
    .npy batch, one with the reason when it cannot be read."""
    if Path(path).suffix.lower() == ".npy":
        try:
            array = load_array(path, net.input_shape, net.name)
        except CnntuiError as error:
            yield path, None, (), str(error)
            return
        samples = [(path, array)] if array.ndim == len(net.input_shape) else \
            ((f"{path}[{index}]", sample) for index, sample in enumerate(array))
        for name, sample in samples:
            try:
                # checked here, as the engine would refuse the whole chunk for one NaN
                yield name, finite_float32(sample), (), None
            except CnntuiError as error:
                yield name, None, (), str(error)
        return
    try:
        loaded = read_image(path, net.input_shape, net.name, normalize=net.summary().normalize, digits=digits)
    except CnntuiError as error:
        yield path, None, (), str(error)
        return
    yield path, loaded.array, loaded.steps, None


def predict(net, paths: list[str], top: int, *, digits: bool = False, chunk: int | None = None,
            progress: Callable[[int, int], None] | None = None) -> Iterator[Prediction]:
    """Each file's prediction, in order, the network run on ``chunk`` inputs at a time (by default
    as many as fit: ``chunk_size``); ``progress(files done, files)`` after each run."""
    names = class_names(net)
    chunk = chunk or chunk_size(net)
    pending = _Pending()
    for done, path in enumerate(paths, 1):
        for name, array, steps, error in read_one(path, net, digits):
            pending.rows.append((name, steps, error))
            if array is not None:
                pending.inputs.append(array)
            if len(pending.inputs) == chunk:
                yield from _run(net, pending, names, top)
                if progress is not None:
                    progress(done, len(paths))
    yield from _run(net, pending, names, top)


def _run(net, pending: _Pending, names: list[str], top: int) -> Iterator[Prediction]:
    rows = iter(probabilities(net, net.infer(np.stack(pending.inputs)))) if pending.inputs else iter(())
    for image, steps, error in pending.rows:
        yield Prediction(image, error=error) if error is not None else \
            Prediction(image, best(next(rows), names, top), steps=steps)
    pending.rows.clear()
    pending.inputs.clear()


# -- the table ------------------------------------------------------------------

TABLE_WIDTH = (40, 80)  # the table follows the terminal's width between these
IMAGE_MOST = 28  # columns for an image's name; a longer one keeps its end, where the file's own name is
NEXT_ROOM = 20  # with fewer columns left beside the first guess, the next ones go on the lines below
NEXT_INDENT = "    "
CLASS_MOST = 16
GAP = "  "
PROBABILITY_HEADER = "probability"


def table_width() -> int:
    return terminal_width(*TABLE_WIDTH)


def table(predictions: list[Prediction], *, ascii_only: bool = False, width: int | None = None) -> list[str]:
    """The table's lines, each at most ``width`` columns (the terminal's, see ``table_width``):
    image, class, probability and the next classes as "name 12.3%", wrapped under their column
    (or, when narrow, on the lines below); a file that could not be read has its reason there
    instead. Names are shown escaped (``printable``) and cut with an ellipsis."""
    width = width or table_width()
    more = "~" if ascii_only else "…"
    # the image column gives way first, so that image, class and probability fit on one line
    image_most = max(8, min(IMAGE_MOST, width - CLASS_MOST - len(PROBABILITY_HEADER) - 3 * len(GAP)))
    images = [cut(printable(p.image), image_most, more, keep_end=True) for p in predictions]
    firsts = [cut(printable(p.top[0].name), CLASS_MOST, more) for p in predictions if p.top]
    header = [pad("image", widest("image", images)), pad("class", widest("class", firsts)), PROBABILITY_HEADER]
    rest_at = cell_len(GAP.join(header) + GAP)
    below = width - rest_at < NEXT_ROOM
    room = width - len(NEXT_INDENT) if below else width - rest_at
    others_most = max(1, min(CLASS_MOST, room - len(" 100.0%,")))
    shows_next = any(len(p.top) > 1 for p in predictions) and not below
    lines = [GAP.join([*header, "next" if shows_next else ""]).rstrip()]
    for prediction, image in zip(predictions, images):
        image = pad(image, cell_len(header[0]))
        if prediction.error is not None:
            lines += beside(image + GAP, wrapped(f"cannot read: {printable(prediction.error)}",
                                                 width - cell_len(image + GAP)))
            continue
        guess, *others = prediction.top
        head = GAP.join([image, pad(cut(printable(guess.name), CLASS_MOST, more), cell_len(header[1])),
                         f"{percent(guess.probability):>{len(PROBABILITY_HEADER)}}"])
        shown = [f"{cut(printable(other.name), others_most, more)} {percent(other.probability)}" for other in others]
        if not shown:
            lines.append(head)
        elif below:
            lines += [head, *(NEXT_INDENT + line for line in in_lines(shown, room))]
        else:
            lines += beside(head + GAP, in_lines(shown, room))
    return lines


def widest(title: str, cells: list[str]) -> int:
    return max(cell_len(text) for text in [title, *cells])


def beside(head: str, lines: list[str]) -> list[str]:
    """``lines`` after ``head``, the second and later under the first."""
    return [head + lines[0], *(" " * cell_len(head) + line for line in lines[1:])]


def percent(probability: float) -> str:
    return f"{probability:.1%}"


def cut(text: str, most: int, more: str, keep_end: bool = False) -> str:
    """``text`` in at most ``most`` columns: its start (or end) and ``more`` where the rest was."""
    if cell_len(text) <= most:
        return text
    kept = ""
    for char in reversed(text) if keep_end else text:
        if cell_len(kept + char) > most - cell_len(more):
            break
        kept = char + kept if keep_end else kept + char
    return more + kept.lstrip() if keep_end else kept.rstrip() + more


def pad(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))


def wrapped(text: str, room: int) -> list[str]:
    """``text`` in lines of at most ``room`` columns, broken at spaces, and inside a word (a long
    path) only when it is longer than a line."""
    lines, line = [], ""
    for word in text.split(" "):
        while cell_len(word) > room:  # what fits of it on this line, the rest on the next
            space = room - cell_len(line + " ") if line else room
            head = (cut(word, space, "") if space > 0 else "") or ("" if line else word[0])  # never stuck
            lines.append(f"{line} {head}" if line and head else line or head)
            line, word = "", word[len(head):]
        if line and cell_len(f"{line} {word}") > room:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line]


def in_lines(parts: list[str], room: int) -> list[str]:
    """``parts`` joined by ", ", as many to a line as fit in ``room`` columns (each part fits alone)."""
    lines, line = [], ""
    for part in parts:
        if line and cell_len(f"{line}, {part},") > room:
            lines.append(line + ",")
            line = part
        else:
            line = f"{line}, {part}" if line else part
    return [*lines, line]
