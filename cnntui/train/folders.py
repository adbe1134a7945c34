"""A folder of images as a dataset: one subfolder per class, as torchvision's ImageFolder has it.

    pets/cat/001.jpg, pets/cat/002.png, ..., pets/dog/001.jpg, ...

Classes are the subfolders, sorted by name (class 0 first); each class's images are every file in
its subfolder, sorted by name (not recursive; hidden files and folders skipped). Images of any
size and mode are converted to the network's input by ``images.load_image``. A file that cannot
be read as an image is skipped and counted, never fatal.

Memory stays bounded: the file list is scanned first and the floats for every image, with the
training step, checked against the budget before anything is decoded; images are then decoded
into one preallocated array a chunk at a time, reporting progress. A fifth of each class is held
back for validation, chosen from the seed: the dataset comes back ordered as (training rows,
validation rows), so ``data.split(folder.validation)`` gives the parts without copying them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import BudgetError, CnntuiError, system_reason
from ..core.reading import human_bytes
from .datasets import VALIDATION_SHARE, Dataset, training_step_bytes

CHUNK = 100  # images decoded between two progress reports
LEAST_PER_CLASS = round(1 / VALIDATION_SHARE)  # so that the fifth held back has an image of every class
SKIPPED_NAMED = 3  # unreadable files named in the note; the rest are only counted

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FolderScan:
    """What a folder holds, before any image is read: its class names and each class's files."""

    root: Path
    classes: list[str]
    files: list[list[Path]]  # per class, in order

    @property
    def total(self) -> int:
        return sum(len(paths) for paths in self.files)


@dataclass(frozen=True)
class FolderData:
    """A folder read: the dataset (training rows first, then the ``validation`` rows) and the files
    skipped as (name relative to the folder, why)."""

    data: Dataset
    validation: int
    skipped: list[tuple[str, str]]


def visible(entry: os.DirEntry) -> bool:
    return not entry.name.startswith(".")


def scan_folder(root: str | os.PathLike) -> FolderScan:
    """The class folders of ``root`` and their files; CnntuiError when ``root`` is no folder, has no
    class subfolders or only one."""
    root = Path(root).expanduser()
    shown = str(root)
    try:
        with os.scandir(root) as entries:
            classes = sorted(entry.name for entry in entries if visible(entry) and entry.is_dir())
    except NotADirectoryError:
        raise CnntuiError("folder_not_folder", path=shown) from None
    except FileNotFoundError:
        raise CnntuiError("folder_not_found", path=shown) from None
    except OSError as error:
        raise CnntuiError("folder_unreadable", path=shown, reason=system_reason(error)) from None
    if not classes:
        raise CnntuiError("folder_no_classes", path=shown)
    if len(classes) == 1:
        raise CnntuiError("folder_one_class", path=shown, name=class_name(classes[0]))
    files = []
    for name in classes:
        try:
            with os.scandir(root / name) as entries:
                files.append(sorted((Path(entry.path) for entry in entries if visible(entry) and entry.is_file()),
                                    key=lambda path: path.name))
        except OSError as error:
            raise CnntuiError("folder_unreadable", path=str(root / name), reason=system_reason(error)) from None
        if not files[-1]:
            raise CnntuiError("folder_class_empty", path=shown, name=class_name(name))
        if len(files[-1]) < LEAST_PER_CLASS:  # decoding may find fewer still (check_counts)
            raise CnntuiError("folder_class_few_files", path=shown, name=class_name(name), got=len(files[-1]),
                              least=LEAST_PER_CLASS)
    return FolderScan(root, [class_name(name) for name in classes], files)


def class_name(folder: str) -> str:
    """A class folder's name as the class's name: a name that is not UTF-8 (its bytes kept by Python
    as surrogates, which no JSON record or terminal can take) has those bytes as escapes (``\\xfe``)."""
    return os.fsencode(folder).decode("utf-8", "backslashreplace")


def check_network(net, scan: FolderScan) -> None:
    """CnntuiError when ``net`` cannot learn the folder's classes: an input that is not grey or RGB,
    or not one output per class (with how to change that). More outputs than classes are refused
    too: outputs no image ever trained would still win predictions."""
    from ..core.shapes import shape_text

    channels = net.input_shape[0]
    if channels not in (1, 3):
        raise CnntuiError("folder_channels", name=net.name, shape=shape_text(net.input_shape))
    outputs = net.summary()[-1].output_shape
    count = len(scan.classes)
    if outputs is None or len(outputs) != 1 or outputs[0] != count:
        raise CnntuiError("folder_outputs", name=net.name, shape=shape_text(outputs or ()), path=str(scan.root),
                          count=count)


def check_folder_memory(net, scan: FolderScan, batch: int, budget: int) -> None:
    """BudgetError when the floats of every image with a training step would need more than ``budget``."""
    per_image = int(np.prod(net.input_shape)) * 4 + 8  # float32 pixels and an int64 label
    fixed = training_step_bytes(net, batch)
    need = scan.total * per_image + fixed
    if need > budget:
        most = max(0, (budget - fixed) // per_image)
        raise BudgetError("folder_memory", path=str(scan.root), count=scan.total, need=human_bytes(need),
                          budget=human_bytes(budget), most=most)


def read_folder(scan: FolderScan, shape: tuple[int, int, int], seed: int,
                progress: Progress | None = None) -> FolderData:
    """Every image of ``scan`` as ``shape``, unreadable ones skipped, split by class from ``seed``.

    CnntuiError when a class has no readable image, or fewer than LEAST_PER_CLASS."""
    from ..images import load_image

    total = scan.total
    pixels = np.empty((total, *shape), np.float32)
    labels = np.empty(total, np.int64)
    skipped: list[tuple[str, str]] = []
    kept = 0
    done = 0
    if progress is not None:
        progress(0, total)
    for label, paths in enumerate(scan.files):
        for path in paths:
            try:
                pixels[kept], _ = load_image(path, shape, check_batch=lambda _: None)
            except CnntuiError as error:
                skipped.append((f"{scan.classes[label]}/{path.name}", str(error)))
            else:
                labels[kept] = label
                kept += 1
            done += 1
            if progress is not None and (done % CHUNK == 0 or done == total):
                progress(done, total)
    pixels, labels = pixels[:kept], labels[:kept]
    check_counts(scan, np.bincount(labels, minlength=len(scan.classes)))
    order, validation = stratified_order(labels, VALIDATION_SHARE, seed)
    reorder_rows(pixels, order)
    labels = labels[order]
    note = folder_note(scan, shape, kept, validation, skipped)
    return FolderData(Dataset(str(scan.root), pixels, labels, list(scan.classes), seed, note), validation, skipped)


def check_counts(scan: FolderScan, counts: np.ndarray) -> None:
    for name, count in zip(scan.classes, counts.tolist()):
        if count == 0:
            raise CnntuiError("folder_class_unreadable", path=str(scan.root), name=name)
        if count < LEAST_PER_CLASS:
            raise CnntuiError("folder_class_few", path=str(scan.root), name=name, got=count, least=LEAST_PER_CLASS)


def stratified_order(labels: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, int]:
    """An order of the rows putting ``share`` of each class (rounded, at least one) last, as the
    validation part, each part shuffled; all drawn from ``seed``. Returns (order, validation count)."""
    rng = np.random.default_rng([int(seed), 18])  # not the weights' stream, which the seed also starts
    train_rows, validation_rows = [], []
    for label in range(int(labels.max()) + 1 if len(labels) else 0):
        rows = rng.permutation(np.flatnonzero(labels == label))
        held = max(1, round(len(rows) * share)) if len(rows) else 0
        validation_rows.append(rows[:held])
        train_rows.append(rows[held:])
    train = rng.permutation(np.concatenate(train_rows)) if train_rows else np.empty(0, np.int64)
    validation = rng.permutation(np.concatenate(validation_rows)) if validation_rows else np.empty(0, np.int64)
    return np.concatenate([train, validation]).astype(np.intp), len(validation)


def reorder_rows(array: np.ndarray, order: np.ndarray) -> None:
    """``array[:] = array[order]`` in place, a row at a time along the permutation's cycles, so that a
    second copy of every image never exists."""
    seen = np.zeros(len(order), bool)
    for start in range(len(order)):
        if seen[start] or order[start] == start:
            seen[start] = True
            continue
        first = array[start].copy()
        here = start
        while True:
            seen[here] = True
            source = int(order[here])
            if source == start:
                array[here] = first
                break
            array[here] = array[source]
            here = source


def folder_note(scan: FolderScan, shape, kept: int, validation: int, skipped: list[tuple[str, str]]) -> str:
    """How the folder was read, in English for the command line."""
    from ..core.printable import printable
    from ..core.shapes import shape_text

    note = (f"{printable(str(scan.root))}: {kept:,} images in {len(scan.classes)} classes as "
            f"{shape_text(shape)}, {validation:,} held back for validation")
    if skipped:
        names = ", ".join(printable(name) for name, _ in skipped[:SKIPPED_NAMED])
        more = f" and {len(skipped) - SKIPPED_NAMED} more" if len(skipped) > SKIPPED_NAMED else ""
        note += f"; skipped {len(skipped)} unreadable file{'s' if len(skipped) > 1 else ''} ({names}{more})"
    return note


def preview(scan: FolderScan, shape: tuple[int, int, int], per_class: int) -> list[list[np.ndarray]]:
    """Up to ``per_class`` readable images of each class, as ``shape``, for a look at the data."""
    from ..images import load_image

    shown = []
    for paths in scan.files:
        images = []
        for path in paths:
            if len(images) == per_class:
                break
            try:
                images.append(load_image(path, shape, check_batch=lambda _: None)[0])
            except CnntuiError:
                continue
        shown.append(images)
    return shown
