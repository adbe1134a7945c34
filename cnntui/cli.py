"""The ``cnntui`` command: subcommands that work without the app.

A user's mistake ends with exit status 2 and one line on stderr that starts
with ``cnntui: error:``; never a traceback.
"""

from __future__ import annotations

import argparse
import codecs
import functools
import json
import os
import re
import sys
import textwrap

from . import __version__
from .core.printable import is_printable, printable

EXIT_USAGE = 2


class UsageError(Exception):
    """A bad command line; the message already says how to fix it."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def format_help(self) -> str:
        # Listing presets imports the engine, so only do it when help is shown.
        from .core import preset_names
        from .core.assets import sample_names

        text = super().format_help().replace("{presets}", ", ".join(preset_names()))
        return text.replace("{samples}", ", ".join(sample_names()))


MAX_INPUT_SIZE = 100_000  # the engine's limit on each size of an input (core.analysis), kept here without NumPy


def input_shape(text: str) -> tuple[int, int, int]:
    parts = text.lower().replace("×", "x").split("x")
    if not (len(parts) == 3 and all(p.strip().isdigit() and int(p) >= 1 for p in parts)):
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 3x64x64 (channels x height x width, each >= 1)")
    if any(int(p) > MAX_INPUT_SIZE for p in parts):
        raise argparse.ArgumentTypeError(f"'{text}': each size must be at most {MAX_INPUT_SIZE:,}; no image is "
                                         "that large (one grey image of 100,000 x 100,000 is already 37 GiB)")
    return tuple(int(p) for p in parts)


def seed(text: str) -> int:
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(f"'{text}' is not a seed; use a whole number >= 0")


# Kept here as text so that parsing the command line loads no NumPy; tests check they match render/.
COLOR_MODES = ("truecolor", "256", "16", "none")
CMAP_NAMES = ("grey", "viridis", "diverging")
SCALE_SCOPES = ("map", "layer", "network")
DEFAULT_WIDTH = 80
MAX_WIDTH = 1000
INPUT_LAYER = -1  # --layer input
MAX_DEPTH = 100  # --depth: no network nests blocks that deep


WEIGHTS_HELP = ("weights to use: a PyTorch state_dict saved as .npz (keys '{path}.weight', '{path}.bias', "
                "..., '0.weight' for a plain list of layers)")
RAW_HELP = ("for a digits network (one grey channel, classes 0-9): give it the image only resized, without "
            "the preparation MNIST's digits had (light background inverted, contrast stretched, the digit "
            "cropped, scaled and centred)")
LAYER_PATH = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")


def layer_index(text: str) -> int | str:
    """An index, INPUT_LAYER, or a path to look up once the network is known (``resolve_layer``)."""
    if text.strip().lower() == "input":
        return INPUT_LAYER
    if text.startswith("-") and text[1:].isdigit():
        raise argparse.ArgumentTypeError(f"'{text}': negative layer indices are not allowed; layers count from 0 "
                                         "(see 'cnntui summary NET'), and 'input' is the input")
    if text.isdigit():
        return int(text)
    if LAYER_PATH.fullmatch(text):
        return text
    raise argparse.ArgumentTypeError(f"'{text}' is not a layer; give its index from 0 or its path "
                                     "(see 'cnntui summary NET'), or 'input'")


def resolve_layer(net, layer: int | str) -> int:
    """``--layer``'s step index: a path is looked up among the network's steps."""
    from .core import CnntuiError
    from .core.errors import closest

    if isinstance(layer, int):
        return layer
    paths = [record.path for record in net.summary()]
    if layer not in paths:
        raise CnntuiError("unknown_layer_path", got=layer, name=net.name, hint=closest(layer, paths))
    return paths.index(layer)


def channel_index(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("-") and text[1:].isdigit():
        raise argparse.ArgumentTypeError(f"'{text}': negative channel indices are not allowed; channels count from 0")
    raise argparse.ArgumentTypeError(f"'{text}' is not a channel; give a whole number from 0")


def width(text: str) -> int:
    if text.isdigit() and 1 <= int(text) <= MAX_WIDTH:
        return int(text)
    raise argparse.ArgumentTypeError(f"'{text}' is not a width; give the number of columns, 1 to {MAX_WIDTH}")


def positive(what: str, limit: int):
    def parse(text: str) -> int:
        if text.isdigit() and 1 <= int(text) <= limit:
            return int(text)
        raise argparse.ArgumentTypeError(f"'{text}' is not a valid number of {what}; use a whole number from 1 to {limit:,}")
    return parse


def depth_limit(text: str) -> int:
    if text.isdigit() and int(text) <= MAX_DEPTH:
        return int(text)
    raise argparse.ArgumentTypeError(f"'{text}' is not a depth; give a number of block levels from 0 to {MAX_DEPTH}, "
                                     "e.g. 2")


def learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if 0 < value <= 1:
        return value
    raise argparse.ArgumentTypeError(f"'{text}' is not a learning rate; use a number above 0 and at most 1, e.g. 0.001")


def build_parser() -> Parser:
    parser = Parser(
        prog="cnntui",
        description="Learn how convolutional neural networks work, with live numbers, in the terminal.",
        epilog="NET is a preset name ({presets}) or the path of a network .json file.",
    )
    parser.add_argument("--version", action="version", version=f"cnntui {__version__}")
    add_app_options(parser, top_level=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mode, help_text in APP_MODES.items():
        opener = commands.add_parser(mode, help=help_text, description=f"Open the app in {mode.capitalize()} mode.")
        opener.add_argument("net", metavar="NET", nargs="?", help="network to load: preset name or .json file")
        add_app_options(opener, top_level=False)
        opener.set_defaults(run=run_app, mode=mode)
        if mode == "quiz":
            add_worksheet_options(opener)

    summary = commands.add_parser(
        "summary", help="shapes, parameters and MACs of every layer",
        description="Print a table of every layer's output shape, parameters, share of parameters, "
                    "multiply-accumulates and receptive field, with totals. Given several networks, print "
                    "one row for each instead: its totals and the part of its parameters in fully connected "
                    "layers, e.g. 'cnntui summary alexnet vgg16 resnet18'.")
    summary.add_argument("net", metavar="NET", nargs="+", help="preset name or network .json file")
    summary.add_argument("--input", type=input_shape, metavar="CxHxW", help="use this input shape instead of the network's")
    output = summary.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the analysis as JSON")
    output.add_argument("--explain", action="store_true", help="show each layer's formulas with the numbers put in")
    summary.add_argument("--depth", type=depth_limit, metavar="N",
                         help="show blocks nested up to N levels deep, deeper ones as one row with their totals "
                              "(0: only the top level)")
    summary.set_defaults(run=run_summary)

    forward = commands.add_parser(
        "forward", help="run a forward pass and save every layer's output",
        description="Run the network on an input and save every layer's output to an .npz file: 'input', "
                    "one array per step under its path ('0', '1', ... for a plain list of layers; "
                    "'layer1.0.conv1', ... in a network of blocks) and 'output'.")
    forward.add_argument("net", metavar="NET", help="preset name or network .json file")
    forward.add_argument("--input", required=True, metavar="FILE",
                         help=".npy array (C,H,W or N,C,H,W), used as it is, or an image (PNG, JPEG, ...), "
                              "converted to the network's channels and size, scaled to [0, 1] and normalised "
                              "with the network's mean and std if it has them")
    forward.add_argument("--raw", action="store_true", help=RAW_HELP)
    weights = forward.add_mutually_exclusive_group()
    weights.add_argument("--weights", metavar="W.npz", help=WEIGHTS_HELP)
    weights.add_argument("--seed", type=seed, metavar="N", help="seeded random weights instead")
    forward.add_argument("--out", required=True, type=output_file, metavar="ACTS.npz",
                         help="where to write the outputs")
    forward.add_argument("--save-weights", type=output_file, metavar="W.npz",
                         help="also save the weights that were used")
    add_force_option(forward)
    forward.set_defaults(run=run_forward)

    render = commands.add_parser(
        "render", help="print a layer's feature maps as a picture in the terminal",
        description="Run the network on an input and print one feature map (--channel) or every channel "
                    "of a layer as coloured half-block cells, with a legend of the value range.",
        epilog="INPUT is an image (PNG, JPEG, ...), a .npy array or a sample image: {samples}. "
               "Without --input: digit-3 for 1-channel networks, scene for 3-channel ones.")
    render.add_argument("net", metavar="NET", help="preset name or network .json file")
    render.add_argument("--input", metavar="INPUT", help="image, .npy array or sample name (see below)")
    render.add_argument("--raw", action="store_true", help=RAW_HELP)
    weights = render.add_mutually_exclusive_group()
    weights.add_argument("--weights", metavar="W.npz", help=WEIGHTS_HELP)
    weights.add_argument("--seed", type=seed, metavar="N", help="seeded random weights instead")
    render.add_argument("--layer", required=True, type=layer_index, metavar="I",
                        help="the layer's index from 0 or its path (as 'cnntui summary' shows them, e.g. 3 or "
                             "layer1.0.conv1), or 'input' for the input itself")
    render.add_argument("--channel", type=channel_index, metavar="C", help="one channel (default: all, as a grid)")
    render.add_argument("--ascii", action="store_true", default=argparse.SUPPRESS,
                        help="a character ramp instead of block characters (coloured when colours are on)")
    render.add_argument("--unicode", action="store_true", default=argparse.SUPPRESS,
                        help="block characters even when the locale (LC_ALL, LC_CTYPE, LANG) is not UTF-8")
    render.add_argument("--colors", choices=("auto", *COLOR_MODES), default=argparse.SUPPRESS,
                        help="colour mode (default auto: from COLORTERM/TERM; NO_COLOR means none)")
    render.add_argument("--cmap", choices=("auto", *CMAP_NAMES), default="auto",
                        help="colour map (default auto: diverging when there are negative values, else grey)")
    render.add_argument("--scale", choices=SCALE_SCOPES, default=None,
                        help="what the colours span: this map, the whole layer, or every feature map of "
                             "the network (default: map for one channel, layer for a grid)")
    render.add_argument("--width", type=width, metavar="COLS",
                        help=f"width of the picture in cells (default: the terminal's, at most {DEFAULT_WIDTH})")
    render.add_argument("--png", type=output_file, metavar="FILE",
                        help="also write the picture as a PNG file in true colour")
    add_force_option(render)
    render.set_defaults(run=run_render)

    train = commands.add_parser(
        "train", help="train a network on built-in synthetic data or a folder of images and save its weights",
        description="Train the network with backpropagation on a dataset drawn from a seed (nothing is "
                    "downloaded; drawn datasets are kept in your cache folder) or on a folder of your images "
                    "(one subfolder per class; unreadable files are skipped and counted), show progress, report "
                    "the validation accuracy and save the weights with a metadata file beside them.")
    train.add_argument("net", metavar="NET", help="preset name or network .json file")
    train.add_argument("--dataset", required=True, metavar="digits|shapes|DIR",
                       help="digits: 0-9, white on black, 1x32x32 or 1x28x28; shapes: 10 shapes, 3x64x64; "
                            "DIR: a folder with one subfolder of images per class (./digits for a folder "
                            "named like a built-in set)")
    train.add_argument("--epochs", type=positive("epochs", 1000), default=5, metavar="E", help="passes over the data (default 5)")
    train.add_argument("--samples", type=positive("samples", 200_000), default=10_000, metavar="N",
                       help="samples drawn, a fifth held back for validation (default 10000); ignored for "
                            "a folder, whose every readable image is used")
    train.add_argument("--seed", type=seed, default=0, metavar="S", help="seed of the data, the weights and the order (default 0)")
    train.add_argument("--batch", type=positive("batch size", 4096), default=64, metavar="B", help="batch size (default 64)")
    train.add_argument("--lr", type=learning_rate, default=1e-3, metavar="LR", help="Adam's learning rate (default 0.001)")
    train.add_argument("--out", required=True, type=output_file, metavar="W.npz",
                       help="where to save the weights; W.json beside it records how they were made")
    add_force_option(train)
    train.set_defaults(run=run_train)

    export = commands.add_parser(
        "export", help="print the network as PyTorch or Keras code",
        description="Print the network as PyTorch code (nn.Sequential and, for blocks, small Residual and Concat "
                    "modules, with the same module names, so cnntui's weights files load with load_state_dict) "
                    "or Keras code (keras.Sequential, or the functional API for blocks).")
    export.add_argument("net", metavar="NET", help="preset name or network .json file")
    export.add_argument("--to", required=True, choices=("pytorch", "keras"), help="which framework")
    export.set_defaults(run=run_export)

    predict = commands.add_parser(
        "predict", help="the network's top classes for your images",
        description="Run a trained network on images and print a table of each one's most likely classes "
                    "with their probabilities (image, class, probability, the next ones). A file that "
                    "cannot be read gets a row saying why, and the rest go on; the exit status is 2 only "
                    "if none could be read. For a digits network (one grey channel, classes 0-9) each "
                    "image is first prepared as MNIST's digits were, and the steps are said on stderr.")
    predict.add_argument("net", metavar="NET", help="preset name or network .json file")
    predict.add_argument("images", metavar="IMAGE", nargs="+",
                         help="an image (PNG, JPEG, ...), a .npy array, or a folder: every file in it, "
                              "sorted by name (not its subfolders or hidden files)")
    predict.add_argument("--top", type=positive("classes to show", 1_000_000), default=3, metavar="K",
                         help="how many classes to show for each image (default 3)")
    predict.add_argument("--json", action="store_true",
                         help="print a JSON list instead: for each image, its top classes (class, index, "
                              "probability) or the error, and the digit preparation's steps")
    predict.add_argument("--weights", metavar="W.npz",
                         help=WEIGHTS_HELP + "; default: the weights shipped with the network")
    predict.add_argument("--raw", action="store_true",
                         help="give a digits network each image only resized, without MNIST's preparation")
    predict.add_argument("--ascii", action="store_true", default=argparse.SUPPRESS,
                         help="ASCII only ('~' where a long name is cut)")
    predict.add_argument("--unicode", action="store_true", default=argparse.SUPPRESS,
                         help="'…' where a long name is cut, even when the locale is not UTF-8")
    predict.set_defaults(run=run_predict)
    add_progress_parser(commands)
    return parser


def output_file(text: str) -> str:
    """A path to write a file to: not empty, and not one that can only name a folder ("out/", ".")."""
    if text.endswith(("/", os.sep)) or os.path.basename(text) in ("", ".", ".."):
        raise argparse.ArgumentTypeError(f"'{printable(text)}' names a folder, not a file; give the path of "
                                         "a file to write, e.g. results/out.npz")
    return text


def add_force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output file that this command did not make "
                             "(never an input of the command, a folder or a pipe)")


APP_MODES = {
    "learn": "open the app's glossary of CNN concepts",
    "build": "open the app's network builder",
    "view": "open the app's feature-map viewer",
    "quiz": "open the app's guided quiz, or print a worksheet (--print N, --json)",
}


def add_app_options(parser: argparse.ArgumentParser, top_level: bool) -> None:
    """Options of the app, accepted before or after the mode name.

    After the mode name they default to SUPPRESS, so they never undo what was
    given before it.
    """
    default = None if top_level else argparse.SUPPRESS
    group = parser.add_argument_group("app options")
    group.add_argument("--lang", choices=("zh", "en"), default=default,
                       help="language of the app (default: saved setting, else from LANG/LC_ALL)")
    group.add_argument("--colors", choices=("auto", "truecolor", "256", "16", "none"), default=default,
                       help="colour mode (default: saved setting, else auto: from COLORTERM/TERM; NO_COLOR means none)")
    group.add_argument("--ascii", action="store_true", default=False if top_level else argparse.SUPPRESS,
                       help="draw with ASCII only, for terminals that cannot show block characters "
                            "(the default when the locale, from LC_ALL, LC_CTYPE or LANG, is not UTF-8)")
    group.add_argument("--unicode", action="store_true", default=False if top_level else argparse.SUPPRESS,
                       help="draw block and line characters even when the locale is not UTF-8")


def question_count(text: str) -> int:
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(f"'{text}' is not a number of questions; give a whole number from 1 to 200")


def add_worksheet_options(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Open the app in Quiz mode; or, with --print or another worksheet option, print a "
                          "worksheet for a class instead.")
    group = parser.add_argument_group("worksheet options (print instead of opening the app)")
    group.add_argument("--print", type=question_count, metavar="N", dest="print_count",
                       help="print N questions (1 to 200; 20 when another worksheet option is given alone) "
                            "with an answer key, in the language of --lang")
    group.add_argument("--format", choices=WORKSHEET_FORMATS,
                       help="text (the default), markdown (converts to anything), gift (Moodle's quiz import, "
                            "answers and feedback included) or json (with answers, for programs)")
    group.add_argument("--json", action="store_true",
                       help="the same as --format json; computed questions carry the network, layer and "
                            "quantity they are about")
    group.add_argument("--seed", type=seed, metavar="S",
                       help="which questions (default 0): the same seed prints the same worksheet")
    group.add_argument("--topic", metavar="T", action="append",
                       help="only questions on this topic, e.g. padding; repeat it or separate topics with "
                            "commas for several")
    group.add_argument("--difficulty", type=difficulty_range, metavar="D",
                       help="only questions of this level (1 to 3), or of a range such as 1-2")
    group.add_argument("--output", metavar="FILE",
                       help="write the questions to FILE and the answer key beside it, with -key before the "
                            "suffix (lab1.md and lab1-key.md), instead of printing both")
    group.add_argument("--no-key", action="store_true", help="only the questions, without the answer key")
    group.add_argument("--key-only", action="store_true", help="only the answer key")
    group.add_argument("--class", metavar="NAME", dest="class_name",
                       help="the class, written in the sheet's header (Name, Date, Class)")
    group.add_argument("--date", metavar="DATE", help="the date, written in the sheet's header, e.g. 2026-03-02")
    add_force_option(group)
    for action in parser._actions:
        if action.dest == "lang":  # a worksheet may have two languages side by side
            action.choices, action.type, action.metavar = None, sheet_languages, "LANG"
            action.help = ("language of the app, or of a worksheet: zh, en, or zh,en / en,zh for both side "
                           "by side (default: saved setting, else from LANG/LC_ALL)")
    parser.add_argument("--course", metavar="FILE",
                        help="open Quiz mode on an instructor's course file instead of the built-in course "
                             "(remembered; C in Quiz mode chooses another)")
    parser.add_argument("--bank", metavar="FILE", action="append",
                        help="add an instructor's question bank (JSON) to the built-in questions, in the app "
                             "or a worksheet; repeat it for several banks")
    parser.add_argument("--check", metavar="FILE", nargs="+",
                        help="check question bank or course files and print every problem, then stop")
    parser.set_defaults(run=run_quiz)


# -- the app --------------------------------------------------------------------

def run_app(args) -> int:
    network = None
    if getattr(args, "net", None):
        from .tui.state import read_valid_network

        network = read_valid_network(args.net)
    course = usable_course(args.course) if getattr(args, "course", None) else None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        build_parser().print_help()
        say("the app needs a terminal; the commands above work anywhere")
        return 0
    from .tui.app import CnntuiApp
    colors = None if args.colors in (None, "auto") else args.colors
    app = CnntuiApp(getattr(args, "mode", "learn"), network, language=args.lang, colors=colors,
                    ascii_only=ascii_choice(args), course=course)
    app.run()
    return app.return_code or 0


def usable_course(path: str) -> str:
    """The course file's full path, once it has no problems (else its first one, and how to see them all)."""
    from pathlib import Path

    from .quiz.course_file import read_course

    if not Path(path).exists():
        raise UsageError(f"there is no file {path}; give the path of a course file (a .json with \"lessons\")")
    problems = read_course(path).problems
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UsageError(f"{problems[0]}{more}; 'cnntui quiz --check {path}' lists every problem")
    return str(Path(path).resolve())


def ascii_choice(args) -> bool | None:
    """True for --ascii, False for --unicode, None to decide from the output and the locale."""
    if args.ascii and args.unicode:
        raise UsageError("--ascii and --unicode contradict each other; give one of them")
    return True if args.ascii else False if args.unicode else None


# -- quiz worksheets -------------------------------------------------------------

JSON_QUESTIONS = 20


def run_quiz(args) -> int:
    if args.check:
        return check_quiz_files(args.check, (getattr(args, "lang", None) or "").split(",")[0] or None)
    install_banks(args.bank or ())
    printing = args.print_count is not None or args.json or any(
        getattr(args, option) for option in ("format", "output", "no_key", "key_only", "class_name", "date"))
    if not printing:
        extra = [name for name, value in (("--seed", args.seed), ("--topic", args.topic),
                                          ("--difficulty", args.difficulty)) if value is not None]
        if extra:
            verb = "choose" if len(extra) > 1 else "chooses"
            raise UsageError(f"{' and '.join(extra)} {verb} the questions of a printed worksheet; "
                             "add --print N or --json (or --format F; or leave them out to open the app)")
        if "," in (getattr(args, "lang", None) or ""):
            raise UsageError(f"the app speaks one language at a time; give --lang zh or --lang en "
                             f"(--lang {args.lang} is for a printed worksheet, with --print N)")
        return run_app(args)
    if args.net:
        raise UsageError(f"a worksheet makes its own networks, so NET ('{args.net}') is not used; "
                         "leave it out, or leave out --print/--json to open the app with it")
    if args.course:
        raise UsageError("--course opens a course in the app, not in a worksheet; leave out --print/--json "
                         "to open it")
    return print_worksheet(args)


WORKSHEET_FORMATS = ("text", "markdown", "gift", "json")


def sheet_languages(text: str) -> str:
    """--lang: one language, or two side by side on a worksheet ("zh,en" puts Chinese on the left)."""
    names = [name.strip() for name in text.split(",")]
    if all(name in ("zh", "en") for name in names) and len(names) == len(set(names)) <= 2:
        return ",".join(names)
    raise argparse.ArgumentTypeError(f"invalid choice: '{text}' (choose from zh, en, or zh,en / en,zh for a "
                                     "worksheet in both)")


def difficulty_range(text: str) -> tuple[int, int]:
    low, dash, high = text.partition("-")
    if low.strip().isdigit() and (not dash or high.strip().isdigit()):
        levels = int(low), int(high) if dash else int(low)
        if 1 <= levels[0] <= levels[1] <= 3:
            return levels
    raise argparse.ArgumentTypeError(f"'{text}' is not a difficulty; give a level from 1 to 3, e.g. 2, or a "
                                     "range from the lower to the higher, e.g. 1-2")


def print_worksheet(args) -> int:
    """``cnntui quiz --print N`` and the other worksheet options: the sheet on stdout, or its questions
    and its key in two files (--output)."""
    from .content import language_from_env
    from .quiz.worksheet import LEVELS, Sheet, pick_questions

    form = worksheet_format(args)
    languages = tuple((getattr(args, "lang", None) or language_from_env()).split(","))
    check_worksheet_options(args, form, languages)
    topics = [name.strip() for value in args.topic or () for name in value.split(",") if name.strip()]
    count = args.print_count if args.print_count is not None else JSON_QUESTIONS
    seed_value = args.seed or 0
    questions = pick_questions(count, seed_value, topics or None, args.difficulty or LEVELS)
    if len(questions) < count:
        say(f"there are only {len(questions)} different questions{_chosen_from(topics, args.difficulty)}; "
            "printing them all")
    sheet = Sheet(questions, languages, seed_value, args.class_name or "", args.date or "")
    parts = worksheet_parts(sheet, form, args)
    if not args.output:
        print("\n".join(text for _, text in parts), end="")
        return 0
    from pathlib import Path

    from .core.files import atomic_write
    from .outputs import Output, check_outputs
    from .quiz.worksheet import is_worksheet

    path = Path(args.output)
    key_path = path.with_name(f"{path.stem}-key{path.suffix}")
    targets = [(key_path if part == "key" and len(parts) > 1 else path, part) for part, _ in parts]
    from .quiz.bank_file import bank_networks

    inputs = [(f"--bank {bank}", Path(bank)) for bank in args.bank or ()]
    inputs += [(f"{network} (a network of --bank {bank})", network) for bank in args.bank or ()
               for network in bank_networks(bank)]
    check_outputs("quiz", [Output(target, f"--output {target}", "--output", is_worksheet) for target, _ in targets],
                  inputs, args.force)
    for (target, _), (_, text) in zip(targets, parts):
        with _writing(target), atomic_write(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    what = {"questions": "the questions", "key": "the answer key", "both": "the questions with their answers"}
    say("wrote " + " and ".join(f"{target} ({what[part]})" for target, part in targets))
    return 0


def worksheet_format(args) -> str:
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json is --format json, so it cannot go with --format {args.format}; give one of them")
    return "json" if args.json else args.format or "text"


def check_worksheet_options(args, form: str, languages: tuple[str, ...]) -> None:
    """One line for the first pair of worksheet options that cannot go together, and what to do."""
    if args.no_key and args.key_only:
        raise UsageError("--no-key and --key-only contradict each other; give one of them, or neither for both")
    carries = {"gift": "GIFT carries each question's answers and feedback for the course site to grade",
               "json": "JSON carries each question's answer beside it, for a program to check"}
    if form in carries and (args.no_key or args.key_only):
        option = "--no-key" if args.no_key else "--key-only"
        raise UsageError(f"{carries[form]}, so there is no separate key; leave out {option}, or use "
                         "--format text or markdown for a sheet to hand out")
    if form == "gift" and len(languages) > 1:
        raise UsageError(f"GIFT has no form for two languages side by side; give --lang {languages[0]} or "
                         f"--lang {languages[1]} (one file for each, if you need both)")
    if form == "json" and (args.class_name or args.date):
        option = "--class" if args.class_name else "--date"
        raise UsageError(f"JSON has no header to write {option} in; leave it out, or use --format text or markdown")
    if args.output is not None and not args.output.strip("-"):
        raise UsageError(f"--output needs a file name, not '{args.output}'; leave it out to print to stdout")


def worksheet_parts(sheet, form: str, args) -> list[tuple[str, str]]:
    """What the worksheet writes, each part ("questions", "key" or "both") with its text."""
    from .quiz import worksheet

    if form == "json":
        return [("both", json_text([q.to_json() for q in sheet.questions]) + "\n")]
    if form == "gift":
        from .quiz.gift import gift_text

        return [("both", gift_text(sheet))]
    questions, key = ((worksheet.questions_text, worksheet.key_text) if form == "text" else
                      (worksheet.questions_markdown, worksheet.key_markdown))
    if args.key_only:
        return [("key", key(sheet))]
    if args.no_key:
        return [("questions", questions(sheet))]
    return [("questions", questions(sheet)), ("key", key(sheet, alone=bool(args.output)))]


def _chosen_from(topics: list[str], difficulty: tuple[int, int] | None) -> str:
    named = ", ".join(f"'{topic}'" for topic in topics)
    where = f" on {'topics' if len(topics) > 1 else 'topic'} {named}" if topics else ""
    if difficulty:
        low, high = difficulty
        where += f" at level {low}" if low == high else f" at levels {low}-{high}"
    return where


def install_banks(paths) -> None:
    """Install each --bank file beside the built-in questions; a file with any problem stops here."""
    from pathlib import Path

    from .quiz.material import install_file

    for path in paths:
        refusal = install_file(Path(path))
        if refusal:
            raise UsageError(refusal)


def check_quiz_files(paths: list[str], lang: str | None = None) -> int:
    """Every problem of each bank or course file, one a line, in ``lang`` (default: LANG's); exit 2 if any.
    The lab folders' banks are installed first, as the app does, and so is each bank that passes: a course
    may name their questions. Banks are checked before courses, printed in the order given; a network
    is said to be one (`cnntui summary` checks it), and a course with the id of an earlier one is refused."""
    from pathlib import Path

    from .content import language_from_env
    from .quiz.bank_file import file_name, instructor_texts, read_bank, read_json_value
    from .quiz.course_file import check_course_file
    from .outputs import same_file
    from .quiz.material import load_material, looks_like_course
    from .quiz.questions import clear_installed, install_bank, installed_sources

    lang = lang or language_from_env()
    files = list({Path(path).resolve(): Path(path) for path in paths}.values())  # a file given twice is one
    clear_installed()
    load_material(lang=lang)  # a folder's file refused here is said below if it is one being checked
    ok = instructor_texts()["problems"]
    contents = {path: read_json_value(path, lang)[0] for path in files}
    courses = [path for path in files if looks_like_course(contents[path])]
    problems: dict[Path, list[str]] = {}
    done: dict[Path, str] = {}
    networks = [path for path in files if path not in courses and isinstance(contents[path], dict)
                and "layers" in contents[path]]  # as the lab folders tell a network (quiz.material)
    for path in networks:
        problems[path] = [ok["is_network"][lang].format(name=file_name(path), path=printable(str(path)))]
    for path in (path for path in files if path not in courses and path not in problems):
        # Ids a file of the folders installed are its own, not taken, when it is the one being checked.
        taken = {bank_id: Path(source).name for bank_id, source in installed_sources().items()
                 if not (source and same_file(Path(source), path))}
        loaded = read_bank(path, taken, lang)
        install_bank(loaded.items, str(path))
        problems[path], count = loaded.problems, len(loaded.items)
        done[path] = ok["ok_one" if count == 1 else "ok"][lang].format(name=file_name(path), count=count)
    first_of_id: dict[str, Path] = {}
    for path in courses:
        problems[path] = check_course_file(path, lang)
        course_id = contents[path].get("course")
        if not problems[path] and course_id in first_of_id:  # the app would offer only the first
            other = first_of_id[course_id]
            problems[path] = [ok["same_course_id"][lang].format(
                name=file_name(path), course=printable(course_id),
                other=file_name(other) if file_name(other) != file_name(path) else printable(str(other.resolve())))]
        if not problems[path]:
            first_of_id.setdefault(course_id, path)
        count = 0 if problems[path] else len(contents[path]["lessons"])
        done[path] = ok["ok_lesson" if count == 1 else "ok_lessons"][lang].format(name=file_name(path), count=count)
    for path in files:
        print("\n".join(problems[path] or [done[path]]))
    return EXIT_USAGE if any(problems.values()) else 0


# -- the class's progress -------------------------------------------------------

def add_progress_parser(commands) -> None:
    progress = commands.add_parser(
        "progress", help="your quiz progress; --export it to hand in, --report on a class's exports",
        description="Print your quiz progress: where each lesson stands, your share right per topic, and "
                    "the reviews due. Nothing leaves your account unless you export it: --export writes "
                    "your name, a random id made once for your account (so two students of one name stay "
                    "two), and these figures (lessons, topics, questions asked and missed) to the one "
                    "FILE you name, for you to hand in. An instructor gives the exports to --report.")
    progress.add_argument("--export", type=output_file, metavar="FILE",
                          help="write your progress to FILE (JSON) for your instructor")
    progress.add_argument("--name", metavar="NAME",
                          help="your name in the export (default: the one saved, else asked once and saved)")
    progress.add_argument("--report", nargs="+", metavar="FILE_OR_DIR",
                          help="print the class from these exports (files, or folders of *.json): one row "
                               "per student, share right per topic, the weakest topics and the questions "
                               "missed most often; a file that cannot be read is named on stderr and skipped")
    progress.add_argument("--csv", action="store_true",
                          help="with --report: print one CSV row per student instead, a column per topic "
                               "(UTF-8 without a byte-order mark, so it pipes cleanly; a spreadsheet may "
                               "need to be told it is UTF-8 when it opens the file)")
    progress.add_argument("--bank", action="append", default=[], metavar="FILE",
                          help="an instructor's question bank besides those of the lab's quiz folders, so "
                               "its questions are shown by their prompt (repeatable)")
    progress.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS,
                          help="language of what is printed (default: from LANG/LC_ALL)")
    add_force_option(progress)
    progress.set_defaults(run=run_progress)


def run_progress(args) -> int:
    from .content import language_from_env

    lang = getattr(args, "lang", None) or language_from_env()
    if args.report and args.export:
        raise UsageError("--export writes your own progress and --report reads a class's; give one of them")
    if args.csv and not args.report:
        raise UsageError("--csv is how --report prints the class; add --report FILE_OR_DIR...")
    if args.name is not None and not args.export:
        raise UsageError("--name is the name in an export; add --export FILE")
    if args.export is not None and not args.export.strip("-"):
        raise UsageError(f"--export needs a file name, not '{args.export}'; give the file to hand in, "
                         "e.g. --export progress.json")
    if args.bank and args.export:
        raise UsageError("--bank shows questions by their prompt in what is printed, and an export holds only "
                         "your figures; leave --bank out")
    if args.report:
        install_progress_banks(args.bank, lang)
        return print_class_report(args.report, args.csv, lang)
    from .quiz.progress import default_path
    from .quiz.report import read_own, summary_text

    progress, problem = read_own(default_path())
    if args.export:
        return export_progress(args, progress, lang)
    install_progress_banks(args.bank, lang)
    print(summary_text(progress, problem, default_path(), lang, progress_course_paths()), end="")
    return 0


def install_progress_banks(banks: list[str], lang: str) -> None:
    """The lab's folders' banks (their refused files only counted: `progress` is no check) and the
    --bank files (each refused one said), so instructor questions show by title and prompt."""
    from pathlib import Path

    from .content import text
    from .quiz.material import install_file, load_material

    refused = load_material(lang=lang)
    if refused:
        say(text(lang, "progress.refused", count=len(refused)))
    for name in banks:
        refusal = install_file(Path(name), lang)
        if refusal:
            say(refusal)


def progress_course_paths() -> list:
    """Where the courses a student took may be: the `course` setting's file, the courses opened lately
    (the `recent_courses` setting: with the built-in course back in use, its lessons are still named),
    then the lab's folders'."""
    from pathlib import Path

    from .core.files import read_json_object
    from .quiz.material import find_material
    from .tui.settings import Settings, default_path

    # Only read: a damaged settings file is the app's to set aside, not this summary's.
    settings = Settings.from_dict(read_json_object(default_path())[0])
    saved = [settings.course] if settings.course else []
    return [*map(Path, [*saved, *settings.recent_courses]), *find_material().courses]


def export_progress(args, progress, lang: str) -> int:
    from pathlib import Path

    from .outputs import Output, check_outputs
    from .quiz.progress import default_path
    from .quiz.report import export_data, is_export, write_export

    from .content import text

    target = Path(args.export)
    check_outputs("progress --export", [Output(target, f"--export {args.export}", "--export", is_export)],
                  [("your progress file", default_path())], args.force)
    name, student_id = student_name_and_id(args.name, lang)
    write_export(target, export_data(progress, name, student_id=student_id))
    say(text(lang, "progress.wrote", path=args.export))
    return 0


def student_name_and_id(given: str | None, lang: str) -> tuple[str, str]:
    """The name: --name, else the one saved in the settings, else one asked once on a terminal and saved.
    The id: the settings' (made and saved with the name the first time), so every export of this
    account has the same one and two students of one name stay two in the report."""
    from .content import text
    from .quiz.report import MAX_NAME, new_student_id, usable_name
    from .tui.settings import Settings, SettingsStore, default_path

    wrong = f"give your name as 1 to {MAX_NAME} printable characters"
    if given is not None and not usable_name(given.strip()):
        raise UsageError(f"--name '{cut_for_message(given)}' is not a name; {wrong}")
    store = SettingsStore(default_path())
    saved = store.load()
    name = given.strip() if given is not None else saved.student_name
    keys = [] if saved.student_id else ["student_id"]
    if not name:
        if not sys.stdin.isatty():
            raise UsageError("an export needs your name and there is no terminal to ask it on; give it with "
                             "--name NAME")
        try:
            name = input(text(lang, "progress.ask_name")).strip()
        except EOFError:  # Ctrl-D: no name given, as an empty line
            print(file=sys.stderr)
            name = ""
        if not usable_name(name):
            raise UsageError(f"'{cut_for_message(name)}' is not a name; {wrong}, or give it with --name NAME")
        keys.append("student_name")
    student_id = saved.student_id or new_student_id()
    if keys:
        try:
            store.save(Settings(student_name=name, student_id=student_id), keys=keys)
        except OSError as error:
            say(text(lang, "progress.settings_not_saved", reason=error.strerror or error))
    return name, student_id


def cut_for_message(value: str, most: int = 40) -> str:
    """``value`` escaped for an error message, cut to ``most`` characters with "…"."""
    shown = printable(value)
    return shown if len(shown) <= most else shown[:most - 1] + "…"


def print_class_report(paths: list[str], as_csv: bool, lang: str) -> int:
    from .quiz.report import read_class, report_csv, report_text

    report = read_class(paths, lang)
    for note in report.notes:
        say(note)
    if not report.students:
        raise UsageError("none of the files given is a readable progress export; give the files your students "
                         "wrote with cnntui progress --export")
    print(report_csv(report, lang) if as_csv else report_text(report, lang), end="")
    return 0


# -- summary ------------------------------------------------------------------

def _shape(shape) -> str:
    from .core.shapes import shape_text

    return shape_text(shape) if shape else "-"


def _reach(size) -> str:
    return str(size[0]) if size[0] == size[1] else f"{size[0]}x{size[1]}"


def _bytes(count: int) -> str:
    from .core.reading import human_bytes  # NumPy-free, unlike core.weights

    return human_bytes(count)


def summary_table(summary, explain: bool = False) -> str:
    rule = "-" * 80
    total = summary.total_params or 1
    lines = [f"{summary.name}: input {_shape(summary.input_shape)}, {len(summary)} layers", "=" * 80,
             f"{'Layer (type:index)':<22}{'Output shape':<16}{'Params':>11}{'% params':>10}{'MACs':>15}{'RF':>6}",
             rule]
    for record in summary:
        lines.append(_row([f"{f'{record.type}:{record.index}':<22}", f"{_shape(record.output_shape):<16}",
                           f"{record.params:>11,}", f"{record.params / total:>10.1%}", f"{record.macs:>15,}",
                           f"{_reach(record.receptive_field):>6}"]))
        if explain:
            lines += [f"    {line}" for line in record.derivation]
        lines += [f"    note: {note}" for note in record.notes]
    lines += _totals(summary)
    return "\n".join(printable(line) for line in lines)  # the name and notes come from the file


def _totals(summary) -> list[str]:
    lines = ["=" * 80,
             f"Total params: {summary.total_params:,} (weights {summary.total_weights:,}, biases {summary.total_biases:,})"]
    if summary.total_buffers:
        lines.append(f"Buffers: {summary.total_buffers:,} (batch norm's running statistics: saved, not learned)")
    return [*lines, f"Total MACs: {summary.total_macs:,}",
            f"Weight memory: {_bytes(summary.weight_bytes)} (float32)",
            f"Activation memory, one sample forward: {_bytes(summary.activation_bytes)}"]


def tree_table(summary, depth: int | None = None, explain: bool = False) -> str:
    """A network of blocks as an indented tree, like torchinfo: each block with its totals, then
    (down to ``depth`` levels of blocks) what it holds; a residual or concatenation's own row is
    where its branches meet."""
    total = summary.total_params or 1
    leaves, blocks = len(summary.leaves), len(summary.blocks)
    lines = [f"{summary.name}: input {_shape(summary.input_shape)}, {leaves} layers in {blocks} "
             f"block{'s' if blocks != 1 else ''}", "=" * 80,
             f"{'Layer (type)':<29}{'Output shape':<12}{'Params':>12}{'% par.':>7}{'MACs':>15}{'RF':>5}", "-" * 80]
    starting: dict[int, list] = {}
    for block in summary.blocks:
        if block.first is not None:
            starting.setdefault(block.first, []).append(block)
    for record in summary:
        for block in starting.get(record.index, []):
            if depth is None or block.depth <= depth:
                # A block named "" shares its parent's path: only its kind is its own.
                label = f"({block.type})" if block.spec.get("name") == "" else f"{_last_name(block.path)} ({block.type})"
                lines.append(_tree_row(block.depth, label, block.output_shape, block.params, total, block.macs,
                                       block.receptive_field))
        if depth is not None and record.depth > depth:
            continue
        label = (str(record.layer.row_message(record.input_shapes)) if record.is_join
                 else f"{_last_name(record.path)} ({record.type})")
        lines.append(_tree_row(record.depth, label, record.output_shape, record.params, total, record.macs,
                               record.receptive_field))
        indent = "  " * record.depth + "    "
        if explain:
            lines += [indent + line for line in record.derivation]
        # Batch norm's buffers are said once, under the totals, rather than once per layer.
        for note in record.notes:
            if note.code != "batchnorm_buffers":
                lines += textwrap.wrap(f"note: {note}", 80, initial_indent=indent, subsequent_indent=indent + "  ")
    lines += _totals(summary)
    return "\n".join(printable(line) for line in lines)


def _last_name(path: str) -> str:
    return path.rsplit(".", 1)[-1] or "(top)"


def _tree_row(depth: int, label: str, shape, params: int, total: int, macs: int, reach) -> str:
    label = "  " * depth + label
    if len(label) > 28:
        label = label[:27] + "~"
    return _row([f"{label:<29}", f"{_shape(shape):<12}", f"{params:>12,}", f"{params / total:>7.1%}",
                 f"{macs:>15,}", f"{_reach(reach) if reach else '-':>5}"])


def _row(cells: list[str]) -> str:
    """Cells padded to their columns, joined so that a value wider than its column still has a
    space before the next one (a huge layer's counts would otherwise run together)."""
    line = ""
    for cell in cells:
        line += cell if not line or line.endswith(" ") or cell.startswith(" ") else f" {cell}"
    return line


def run_summary(args) -> int:
    from .core import Network

    if len(args.net) > 1:
        return run_comparison(args)
    summary = Network.load(args.net[0], args.input).summary()
    if args.json:
        print(json_text(summary.to_dict()))
    elif summary.blocks:
        print(tree_table(summary, args.depth, args.explain))
    else:
        if args.depth is not None:
            say("--depth folds blocks, and this network has none: showing every layer")
        print(summary_table(summary, args.explain))
    return 0


def run_comparison(args) -> int:
    """Several networks, a row each: input, parameters, MACs and the fully connected layers' part."""
    from .core import Network
    from .learn.architectures import measure_summary

    if args.explain or args.depth is not None:
        raise UsageError(f"{'--explain' if args.explain else '--depth'} shows the layers of one network, and "
                         f"{len(args.net)} are given; give one NET, or leave it out to compare their totals")
    summaries = [Network.load(net, args.input).summary() for net in args.net]
    figures = [measure_summary(summary) for summary in summaries]
    if args.json:
        print(json_text([{"name": summary.name, "input": list(summary.input_shape), "params": measure.params,
                          "macs": measure.macs, "fc_params": measure.fc_params, "fc_macs": measure.fc_macs}
                         for summary, measure in zip(summaries, figures)]))
    else:
        print(comparison_table(summaries, figures))
    return 0


def comparison_table(summaries, figures) -> str:
    lines = [f"{'Network':<20}{'Input':<11}{'Params':>13}{'MACs':>16}{'FC params':>13}{'% FC':>7}", "-" * 80]
    for summary, measure in zip(summaries, figures):
        name = summary.name if len(summary.name) <= 19 else summary.name[:18] + "~"
        lines.append(_row([f"{name:<20}", f"{_shape(summary.input_shape):<11}", f"{measure.params:>13,}",
                           f"{measure.macs:>16,}", f"{measure.fc_params:>13,}", f"{measure.fc_share:>6.1f}%"]))
    lines.append("FC: fully connected (linear) layers; MACs for one input of the size shown.")
    return "\n".join(printable(line) for line in lines)  # the names come from the files


# -- forward ------------------------------------------------------------------

def say(text: str) -> None:
    """A line on stderr; file and network names in it are shown, never obeyed by the terminal."""
    print(f"cnntui: {printable(text)}", file=sys.stderr)


def json_text(value) -> str:
    """``value`` as indented JSON for stdout: Chinese stays readable, but C1 controls, DEL and
    bidirectional marks, which JSON allows raw, are written as \\u escapes (the same data)."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return "\n".join(line if is_printable(line) else "".join(_json_char(char) for char in line)
                     for line in text.split("\n"))


def _json_char(char: str) -> str:
    return char if is_printable(char) else f"\\u{ord(char):04x}"


def choose_weights(net, args) -> None:
    if args.weights:
        from .train.record import recorded_classes

        net.load_weights(args.weights, classes=recorded_classes(args.weights))
    elif args.seed is not None:
        net.init_weights(args.seed)
    elif net.shipped_weights:
        net.load_weights(net.shipped_weights)
        say(f"weights: trained, shipped with {net.name} ({net.shipped_weights.name}; --seed N for random ones)")
        return
    else:
        net.init_weights(0)
        problem = net.weights_problem()
        if problem is not None:
            from .core.messages import Message

            say(str(Message("weights_fallback", {"problem": problem, "seed": 0})))
        else:
            say(f"weights: {net.weights_origin}, as {net.name} ships no trained weights (--weights or --seed choose)")
        return
    say(f"weights: {net.weights_origin}")


def refuse_overflow(net, x, outputs) -> None:
    """One line, rather than infinities and NaNs written or drawn as if they were results."""
    from .core import CnntuiError

    problem = net.overflow_problem(x, outputs)
    if problem is not None:
        raise CnntuiError(problem.code, **problem.args)


def run_forward(args) -> int:
    import numpy as np

    from .core import Network
    from .core.files import atomic_write

    net = Network.load(args.net)
    check_forward_outputs(net, args)
    x, note = command_input(net, args.input, wants_digit_preparation(net, args, args.input))
    say(f"input: {note}")
    choose_weights(net, args)
    outputs = net.forward(x)
    refuse_overflow(net, x, outputs)
    arrays = net.outputs_by_path(np.asarray(x, dtype=np.float32), outputs)
    with _writing(args.out), atomic_write(args.out) as handle:
        np.savez(handle, **arrays)
    paths = [record.path for record in net.summary()]
    named = f"'{paths[0]}'..'{paths[-1]}'" if paths == [str(i) for i in range(len(paths))] else \
        f"one array per step under its path ('{paths[0]}' .. '{paths[-1]}')"
    say(f"wrote {args.out}: 'input', {named} and 'output', last output {_shape(outputs[-1].shape)}")
    if args.save_weights:
        with _writing(args.save_weights):
            net.save_weights(args.save_weights)
        say(f"wrote {args.save_weights}: {len(net.weights)} arrays")
    return 0


def wants_digit_preparation(net, args, path) -> bool:
    """Whether an input image is prepared as MNIST's digits were: for a digits network, unless --raw
    (a shipped sample is drawn as the training digits are, and a .npy array is used as it is)."""
    from pathlib import Path

    from .digit_input import is_digit_network

    return is_digit_network(net) and not args.raw and Path(path).suffix.lower() != ".npy"


def command_input(net, path, digits: bool):
    """``forward``'s and ``render``'s input (see ``images.load_input``) and its note, which says how to
    turn the digit preparation off when it changed the picture."""
    from pathlib import Path

    from .core.messages import Message
    from .digit_input import LEFT_AS_IT_IS
    from .images import load_input, read_image

    if Path(path).suffix.lower() == ".npy":
        return load_input(path, net.input_shape, net.name, net.check_memory)
    image = read_image(path, net.input_shape, net.name, net.check_memory, net.summary().normalize, digits=digits)
    changed = image.steps and image.steps not in LEFT_AS_IT_IS
    return image.array, f"{image.note} ({Message('digit_raw_hint')})" if changed else image.note


def command_inputs(net, args) -> list[tuple[str, os.PathLike]]:
    """The files a command reads, as (how a message names it, path): no output may be one of them."""
    from pathlib import Path

    inputs = [(f"the network file {net.source}", Path(net.source))] if net.source else []
    for option in ("input", "weights"):
        value = getattr(args, option, None)
        if value and os.path.lexists(value):
            inputs.append((f"--{option} {value}", Path(value)))
    return inputs


def check_forward_outputs(net, args) -> None:
    from pathlib import Path

    from .outputs import Output, check_outputs, is_activations, is_weights

    outputs = [Output(Path(args.out), f"--out {args.out}", "--out", is_activations)]
    if args.save_weights:
        outputs.append(Output(Path(args.save_weights), f"--save-weights {args.save_weights}", "--save-weights",
                              is_weights))
    check_outputs("forward", outputs, command_inputs(net, args), args.force)


class _writing:
    """Turn an OSError while writing ``path`` into a one-line user error."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, OSError):
            from .core import CnntuiError

            raise CnntuiError("unwritable", path=str(self.path), reason=error.strerror or str(error)) from None
        return False


# -- render -------------------------------------------------------------------

def render_input(args, net):
    """The input array for ``render``: a file, a sample by name, or the default sample."""
    from pathlib import Path

    from .core.assets import find_sample, sample_names
    from .core.errors import closest

    if args.input is None:
        name = "digit-3" if net.input_shape[0] == 1 else "scene"
        path, origin = find_sample(name), f"sample {name} (the default; --input chooses another)"
    elif Path(args.input).exists():
        path, origin = Path(args.input), None
    elif args.input in sample_names():
        path, origin = find_sample(args.input), f"sample {args.input}"
    else:
        from .core import CnntuiError

        names = sample_names()
        raise CnntuiError("no_input", got=args.input, hint=closest(args.input, names), known=", ".join(names))
    x, note = command_input(net, path, origin is None and wants_digit_preparation(net, args, path))
    if x.ndim == 4 and tuple(x.shape[1:]) == tuple(net.input_shape):
        note += f"; showing sample 0 of {x.shape[0]}"
        x = x[0]
    say(f"input: {origin}: {note}" if origin else f"input: {note}")
    return x


def check_layer_and_channel(net, layer: int, channel: int | None) -> tuple[int, ...]:
    """The shape of what ``--layer`` shows; an error if the layer or channel does not exist."""
    from .core import CnntuiError

    count = len(net.layers)
    if layer >= count:
        raise CnntuiError("layer_range", got=layer, name=net.name, count=count, last=count - 1)
    shape = tuple(net.input_shape) if layer == INPUT_LAYER else tuple(net.summary()[layer].output_shape)
    channels = shape[0] if len(shape) == 3 else 1
    if channel is not None and channel >= channels:
        if len(shape) != 3:
            raise CnntuiError("vector_channel", got=channel, index=layer, count=shape[0])
        if layer == INPUT_LAYER:
            raise CnntuiError("input_channel_range", got=channel, count=channels, last=channels - 1)
        raise CnntuiError("map_channel_range", got=channel, index=layer, count=channels, last=channels - 1)
    return shape


def png_factor(height: int, width: int, grid: bool) -> int:
    """How many PNG pixels a side each map pixel takes: a map at least 256 pixels across (64 in a grid)."""
    target = 64 if grid else 256
    return max(1, -(-target // max(height, width)))


def run_render(args) -> int:
    import shutil

    from .core import Network
    from .render import features
    from .render.picture import to_ansi
    from .render.terminal import detect_color_mode

    mode = detect_color_mode(os.environ) if args.colors in (None, "auto") else args.colors
    ramp = draws_ramp(args, mode)
    net = Network.load(args.net)
    args.layer = resolve_layer(net, args.layer)
    shape = check_layer_and_channel(net, args.layer, args.channel)
    if args.png:
        check_png_output(net, args)
    x = render_input(args, net)
    choose_weights(net, args)
    outputs = net.forward(x)
    refuse_overflow(net, x, outputs)

    columns = args.width or min(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, DEFAULT_WIDTH)
    colours = features.colouring(x, outputs, args.layer, args.channel, cmap=args.cmap, scope=args.scale)
    rows = features.render_layer(x, outputs, args.layer, args.channel, mode=mode, cmap=colours.cmap,
                                 scope=colours.scope, columns=columns, rows=100_000, ramp=ramp)

    record = None if args.layer == INPUT_LAYER else net.summary()[args.layer]
    where = "input" if record is None else f"layer {record.path} {record.type}"
    which = f"channel {args.channel}" if args.channel is not None else "all channels"
    shown = "no colour" if mode == "none" else f"{mode} colours"
    say(f"{where} {_shape(shape)}, {which}; {colours.cmap}, {shown}{', character ramp' if ramp else ''}")
    if args.png:
        write_render_png(args, features.layer_maps(x, outputs, args.layer), colours, columns)
    sys.stdout.write(to_ansi(rows))
    return 0


def draws_ramp(args, mode: str) -> bool:
    """The character ramp for --ascii and without colour, blocks for --unicode; otherwise the ramp
    when the output or the locale is not UTF-8 (and a line on stderr says so)."""
    from .render.terminal import encoding_is_unicode, launch_environ, non_unicode_locale

    choice = ascii_choice(args)
    if mode == "none" or choice is not None:
        return mode == "none" or choice
    locale = non_unicode_locale(launch_environ())
    if locale:
        say(f"drawing a character ramp: the locale ({locale}) is not UTF-8; --unicode draws block characters")
    return locale is not None or not encoding_is_unicode(sys.stdout.encoding)


def check_png_output(net, args) -> None:
    from pathlib import Path

    from .outputs import Output, check_outputs, is_cnntui_png

    check_outputs("render", [Output(Path(args.png), f"--png {args.png}", "--png", is_cnntui_png)],
                  command_inputs(net, args), args.force)


def write_render_png(args, maps, colours, columns: int) -> None:
    """The picture ``render`` prints, as a PNG: the same maps, scales and grid layout, in true colour."""
    from .images import save_map_png
    from .render.features import thumbnail_width
    from .render.picture import grid_per_row

    if args.channel is not None:
        picture, scales, per_row = maps[args.channel], colours.scales[args.channel], 1
    else:
        picture, scales = maps, colours.scales
        per_row = grid_per_row(thumbnail_width(maps.shape, columns), columns)
    factor = png_factor(*maps.shape[1:], grid=args.channel is None)
    size = save_map_png(picture, scales, colours.cmap, args.png, factor=factor, per_row=per_row)
    say(f"wrote {args.png}: {size[0]}x{size[1]} pixels, {factor}x{factor} per map pixel")


# -- train --------------------------------------------------------------------

class ProgressBar:
    """One line on stderr, redrawn in place on a terminal; epoch summaries only when piped."""

    WIDTH = 24

    def __init__(self):
        self.live = sys.stderr.isatty()

    def draw(self, label: str, done: int, total: int, tail: str = "") -> None:
        if not self.live:
            return
        filled = round(self.WIDTH * done / max(total, 1))
        sys.stderr.write(f"\r{label} [{'#' * filled}{'-' * (self.WIDTH - filled)}] {done / max(total, 1):4.0%} {tail}\x1b[K")
        sys.stderr.flush()

    def line(self, text: str) -> None:
        if self.live:
            sys.stderr.write("\r\x1b[K")
        say(text)


EXIT_INTERRUPTED = 130  # what a shell reports for a command stopped by Ctrl-C (128 + SIGINT)


def run_train(args) -> int:
    from .core import Network
    from .core.network import MEMORY_BUDGET
    from .train.datasets import NAMES, VALIDATION_SHARE, check_fits, check_memory, check_samples, load_dataset
    from .train.loop import Settings, train

    net = Network.load(args.net)
    bar = ProgressBar()
    if args.dataset in NAMES:
        height = check_fits(net, args.dataset)
        check_samples(args.dataset, args.samples)
        check_memory(net, args.dataset, args.samples, height, args.batch, MEMORY_BUDGET)
        check_train_outputs(net, args, height)
        read = lambda: (load_dataset(args.dataset, args.samples, args.seed, height,  # noqa: E731
                                     progress=lambda done, total: bar.draw(f"drawing {args.dataset}", done, total)),
                        VALIDATION_SHARE)
    else:
        read = folder_reader(net, args, bar)
    try:
        data, validation = read()
    except KeyboardInterrupt:
        doing = "drawing" if args.dataset in NAMES else "reading"
        bar.line(f"interrupted while {doing} the {args.dataset} dataset: nothing written")
        return EXIT_INTERRUPTED
    bar.line(data.note)
    train_set, val_set = data.split(validation)
    net.init_weights(args.seed)
    settings = Settings(epochs=args.epochs, batch_size=args.batch, lr=args.lr, seed=args.seed)
    # The last complete epoch's report and the weights right after it, replaced in one assignment
    # so that a Ctrl-C at any moment finds a matching pair.
    finished: list = [None, None]

    def batch_done(report) -> None:
        bar.draw(f"epoch {report.epoch}/{args.epochs}", report.batch, report.batches,
                 f"loss {report.loss:.3f} acc {report.accuracy:.0%}")

    def epoch_done(report) -> None:
        finished[:] = [report, {key: value.copy() for key, value in net.weights.items()}]
        bar.line(f"epoch {report.epoch}/{args.epochs}: train loss {report.train_loss:.3f} acc "
                 f"{report.train_accuracy:.1%}; validation loss {report.val_loss:.3f} acc "
                 f"{report.val_accuracy:.1%} ({report.seconds:.1f} s)")

    counts = (len(train_set), len(val_set), data.classes)
    try:
        train(net, train_set, val_set, settings, batch_done, epoch_done)
    except KeyboardInterrupt:
        return save_interrupted(args, net.name, *finished, counts, bar)
    final, weights = finished
    save_training(args, net.name, weights, final, counts, interrupted=False)
    say(f"validation accuracy {final.val_accuracy:.1%} on {len(val_set):,} held-out samples; "
        f"wrote {args.out} and its record {record_path(args.out)}")
    return 0


def folder_reader(net, args, bar: ProgressBar):
    """A folder dataset checked (its classes, the network, the memory, the outputs) before anything is
    decoded; returns what reads it as (data, validation count)."""
    from .core import CnntuiError
    from .core.errors import closest
    from .core.network import MEMORY_BUDGET
    from .train.datasets import NAMES
    from .train.folders import check_folder_memory, check_network, read_folder, scan_folder

    if not os.path.lexists(os.path.expanduser(args.dataset)):  # a mistyped name, more often than a lost folder
        raise CnntuiError("train_dataset_unknown", got=args.dataset, hint=closest(args.dataset, NAMES))
    scan = scan_folder(args.dataset)
    check_network(net, scan)
    check_folder_memory(net, scan, args.batch, MEMORY_BUDGET)
    check_train_outputs(net, args, None)

    def read():
        folder = read_folder(scan, net.input_shape, args.seed,
                             progress=lambda done, total: bar.draw("reading images", done, total))
        return folder.data, folder.validation
    return read


def save_interrupted(args, name: str, final, weights, counts, bar: ProgressBar) -> int:
    """After Ctrl-C: keep the epochs done, if any, and say what was kept."""
    done = final.epoch if final is not None else 0
    where = f"in epoch {done + 1} of {args.epochs}" if done < args.epochs else f"after epoch {done} of {args.epochs}"
    if final is None:
        bar.line(f"interrupted {where}, before any epoch was complete: nothing written")
        return EXIT_INTERRUPTED
    save_training(args, name, weights, final, counts, interrupted=True)
    bar.line(f"interrupted {where}: saved the weights after epoch {done} to {args.out} "
             f"(validation accuracy {final.val_accuracy:.1%}; record {record_path(args.out)})")
    return EXIT_INTERRUPTED


def check_train_outputs(net, args, height: int | None) -> None:
    """The weights and their record: neither may be the network file, nor someone else's file."""
    from pathlib import Path

    from .outputs import Output, check_outputs, is_record, is_trained_weights

    from .train.datasets import CACHED, cache_name, default_cache_dir

    record = record_path(args.out)
    outputs = [Output(Path(args.out), f"--out {args.out}", "--out", is_trained_weights),
               Output(record, f"the record {record} of --out {args.out}", "--out", is_record)]
    inputs = command_inputs(net, args)
    if args.dataset in CACHED:  # read from the cache folder, so it is an input too
        cache = default_cache_dir() / cache_name(args.dataset, args.samples, args.seed, height)
        inputs.append((f"the cached {args.dataset} dataset {cache}", cache))
    check_outputs("train", outputs, inputs, args.force)


def record_path(weights_path: str) -> str:
    from .train.record import record_path as beside

    return str(beside(weights_path))


def save_training(args, name: str, weights: dict, final, counts, interrupted: bool) -> None:
    """The weights and the record of how they were made and how well they do (cnntui/train/record.py
    writes the pair so that the record never describes weights that are not there)."""
    import io
    import shlex

    import numpy as np

    from .train.record import save_with_record

    train_count, val_count, classes = counts
    content = io.BytesIO()
    np.savez(content, **weights)
    from .train.datasets import NAMES

    folder = args.dataset not in NAMES
    fields = {
        "network": name, "dataset": os.path.abspath(args.dataset) if folder else args.dataset, "classes": classes,
        "samples": train_count + val_count if folder else args.samples,
        "train_samples": train_count, "validation_samples": val_count, "seed": args.seed, "epochs": args.epochs,
        "epochs_done": final.epoch, "interrupted": interrupted, "batch": args.batch, "optimizer": "adam",
        "lr": args.lr, "validation_accuracy": round(final.val_accuracy, 4),
        "validation_loss": round(final.val_loss, 4),
        "command": f"cnntui train {shlex.quote(args.net)} --dataset {shlex.quote(args.dataset)} --epochs {args.epochs} "
                   f"{'' if folder else f'--samples {args.samples} '}--seed {args.seed} --batch {args.batch} --lr {args.lr} "
                   f"--out {shlex.quote(args.out)}",
    }
    with _writing(args.out):
        save_with_record(args.out, content.getvalue(), fields)


# -- export -------------------------------------------------------------------

def run_export(args) -> int:
    from .core.assets import find_network, read_json
    from .core.export import EXPORTERS

    print(EXPORTERS[args.to](read_json(find_network(args.net))), end="")
    return 0


# -- predict ------------------------------------------------------------------

def run_predict(args) -> int:
    from .core import CnntuiError, Network
    from .core.messages import Message
    from .digit_input import is_digit_network
    from .predict import check_classifier, chunk_size, class_names, ends_in_softmax, gather_images, predict, table

    net = Network.load(args.net)
    check_classifier(net)  # before any file is read
    paths = gather_images(args.images)
    predict_weights(net, args)
    count = len(class_names(net))
    top = min(args.top, count)
    if args.top > count:
        say(f"--top {args.top}: {net.name} has {count} classes, so showing all {count}")
    if not ends_in_softmax(net):
        say(f"probabilities: the softmax of {net.name}'s outputs (its last layer is "
            f"{net.summary()[-1].type}, not softmax)")
    if args.raw:
        say("--raw: the images are only resized, not prepared as digits")
    chunk = chunk_size(net)
    bar = ProgressBar() if len(paths) > chunk else None
    progress = (lambda done, total: bar.draw("predicting", done, total)) if bar else None
    predictions = []
    try:
        for prediction in predict(net, paths, top, digits=is_digit_network(net) and not args.raw, chunk=chunk,
                                  progress=progress):
            if prediction.steps and not args.json:
                (bar.line if bar else say)(f"{prediction.image}: "
                                           + "; ".join(str(Message(f"digit_{step}")) for step in prediction.steps))
            predictions.append(prediction)
    except KeyboardInterrupt:
        (bar.line if bar else say)(f"interrupted after {len(predictions):,} images: nothing printed")
        return EXIT_INTERRUPTED
    if bar:
        bar.line(f"{len(paths):,} files in chunks of {chunk:,}")
    if args.json:
        print_json_list(prediction.to_json() for prediction in predictions)
    else:
        print("\n".join(table(predictions, ascii_only=plain_text(args))))
    if all(prediction.error is not None for prediction in predictions):
        raise CnntuiError("predict_nothing_read", count=len(predictions))
    return 0


def print_json_list(items) -> None:
    """What ``print(json_text(list(items)))`` prints, an item at a time: ten thousand images'
    results are never one string in memory."""
    items = iter(items)
    first = next(items, None)
    if first is None:
        print("[]")
        return
    print("[\n" + textwrap.indent(json_text(first), "  "), end="")
    for item in items:
        print(",\n" + textwrap.indent(json_text(item), "  "), end="")
    print("\n]")


def predict_weights(net, args) -> None:
    """The weights given, else the shipped ones; untrained weights would make every answer a guess."""
    from .core import CnntuiError
    from .train.record import recorded_classes

    path = args.weights or net.shipped_weights
    if path is None:
        problem = net.weights_problem()
        if problem is not None:
            raise CnntuiError("predict_weights_problem", problem=problem)
        raise CnntuiError("predict_no_weights", name=net.name)
    net.load_weights(path, classes=recorded_classes(path))
    say(f"weights: {path}" if args.weights else f"weights: trained, shipped with {net.name} ({path.name})")


def plain_text(args) -> bool:
    """ASCII only for --ascii, or, unless --unicode, when the output or the locale is not UTF-8."""
    from .render.terminal import encoding_is_unicode, launch_environ, non_unicode_locale

    choice = ascii_choice(args)
    if choice is not None:
        return choice
    return non_unicode_locale(launch_environ()) is not None or not encoding_is_unicode(sys.stdout.encoding)


# -- entry point --------------------------------------------------------------

def single_blas_thread() -> None:
    """One BLAS thread unless the user set a number: the engine's matrix products are
    small, so more threads gain nothing, and on a shared machine whose cores are busy
    they wait for each other and make a forward pass many times slower. NumPy reads
    these when it loads, which the command line puts off until after this."""
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")


def tolerate_unencodable_output() -> None:
    """Never crash on a character the output cannot encode (Chinese under a lab's Latin-1
    locale, or a file name that is not valid UTF-8): it is printed as '?' instead."""
    codecs.register_error("cnntui-unshown", _unshown)
    for stream, errors in ((sys.stdout, "cnntui-unshown"), (sys.stderr, "replace")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=errors)


def _unshown(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    if codecs.lookup(error.encoding).name != "utf-8":
        _say_unshown_once(error.encoding)
    return "?" * (error.end - error.start), error.end


@functools.cache
def _say_unshown_once(encoding: str) -> None:
    say(f"note: the output's encoding ({encoding}) cannot show Chinese and other characters outside it, so "
        "they are printed as '?'; in a UTF-8 locale they show, e.g. LANG=zh_CN.UTF-8 or LANG=en_US.UTF-8")


def main(argv: list[str] | None = None) -> int:
    single_blas_thread()
    tolerate_unencodable_output()
    parser = build_parser()
    command = None
    try:
        args = parser.parse_args(argv)
        command = getattr(args, "command", None)
        return getattr(args, "run", run_app)(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (e.g. `head`) went away; stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001  (the one place that turns errors into messages)
        return report(error, command)


def report(error: Exception, command: str | None = None) -> int:
    from .core import CnntuiError

    if isinstance(error, (UsageError, CnntuiError)):
        print(f"cnntui: error: {printable(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, MemoryError):
        print(f"cnntui: error: {out_of_memory(error, command)}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        print(f"cnntui: error: {printable(f'{where}{error.strerror or error}')}", file=sys.stderr)
        return EXIT_USAGE
    if os.environ.get("CNNTUI_DEBUG"):
        raise error
    detail = printable(textwrap.shorten(f"{type(error).__name__}: {error}", 200))
    print(f"cnntui: internal error: {detail} (a bug in cnntui; run with CNNTUI_DEBUG=1 for the traceback)",
          file=sys.stderr)
    return 1


def out_of_memory(error: MemoryError, command: str | None) -> str:
    """The figures of a MemoryError that the budgets did not foresee (the machine had less free
    memory than they allow): what was being done, what it asked for, and the budgets."""
    from .core.network import MEMORY_BUDGET, WEIGHT_BUDGET

    doing = f"'cnntui {command}'" if command else "cnntui"
    asked = printable(str(error)) or "how much it asked for is not known"  # NumPy says how much and for what
    return (f"{doing} ran out of memory: {asked}; the machine has less free than cnntui's budgets "
            f"({_bytes(MEMORY_BUDGET)} for a forward pass, {_bytes(WEIGHT_BUDGET)} for weights); "
            "use a smaller input, batch or network, or try again when the machine is less busy")


if __name__ == "__main__":
    sys.exit(main())
