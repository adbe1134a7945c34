"""The ``cnntui`` command: subcommands that work without the app.

A user's mistake ends with exit status 2 and one line on stderr that starts
with ``cnntui: error:``; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap

from . import __version__

EXIT_USAGE = 2


class UsageError(Exception):
    """A bad command line; the message already says how to fix it."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def format_help(self) -> str:
        # Listing presets imports the engine, so only do it when help is shown.
        from .core import preset_names

        return super().format_help().replace("{presets}", ", ".join(preset_names()))


def input_shape(text: str) -> tuple[int, int, int]:
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) == 3 and all(p.strip().isdigit() and int(p) >= 1 for p in parts):
        return tuple(int(p) for p in parts)
    raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 3x64x64 (channels x height x width, each >= 1)")


def seed(text: str) -> int:
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(f"'{text}' is not a seed; use a whole number >= 0")


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

    summary = commands.add_parser(
        "summary", help="shapes, parameters and MACs of every layer",
        description="Print a table of every layer's output shape, parameters, share of parameters, "
                    "multiply-accumulates and receptive field, with totals.")
    summary.add_argument("net", metavar="NET", help="preset name or network .json file")
    summary.add_argument("--input", type=input_shape, metavar="CxHxW", help="use this input shape instead of the network's")
    output = summary.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the analysis as JSON")
    output.add_argument("--explain", action="store_true", help="show each layer's formulas with the numbers put in")
    summary.set_defaults(run=run_summary)

    forward = commands.add_parser(
        "forward", help="run a forward pass and save every layer's output",
        description="Run the network on an input and save every layer's output to an .npz file "
                    "with keys 'input' and '0', '1', ... (one per layer).")
    forward.add_argument("net", metavar="NET", help="preset name or network .json file")
    forward.add_argument("--input", required=True, metavar="FILE",
                         help=".npy array (C,H,W or N,C,H,W) or an image (PNG, JPEG, ...), "
                              "converted to the network's channels and size and scaled to [0, 1]")
    weights = forward.add_mutually_exclusive_group()
    weights.add_argument("--weights", metavar="W.npz", help="weights to use (keys '{i}.weight', '{i}.bias')")
    weights.add_argument("--seed", type=seed, metavar="N", help="seeded random weights instead")
    forward.add_argument("--out", required=True, metavar="ACTS.npz", help="where to write the outputs")
    forward.add_argument("--save-weights", metavar="W.npz", help="also save the weights that were used")
    forward.set_defaults(run=run_forward)

    export = commands.add_parser(
        "export", help="print the network as PyTorch or Keras code",
        description="Print the network as PyTorch (nn.Sequential, same layer indices, so cnntui's weight "
                    "files load with load_state_dict) or Keras (keras.Sequential) code.")
    export.add_argument("net", metavar="NET", help="preset name or network .json file")
    export.add_argument("--to", required=True, choices=("pytorch", "keras"), help="which framework")
    export.set_defaults(run=run_export)
    return parser


APP_MODES = {
    "learn": "open the app's glossary of CNN concepts",
    "build": "open the app's network builder",
    "view": "open the app's feature-map viewer",
    "quiz": "open the app's guided quiz",
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
                       help="draw with ASCII only, for terminals that cannot show block characters")


# -- the app --------------------------------------------------------------------

def run_app(args) -> int:
    network = None
    if getattr(args, "net", None):
        from .tui.state import read_valid_network

        network = read_valid_network(args.net)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        build_parser().print_help()
        say("the app needs a terminal; the commands above work anywhere")
        return 0
    from .tui.app import CnntuiApp
    colors = None if args.colors in (None, "auto") else args.colors
    app = CnntuiApp(getattr(args, "mode", "learn"), network, language=args.lang, colors=colors,
                    ascii_only=True if args.ascii else None)
    app.run()
    return app.return_code or 0


# -- summary ------------------------------------------------------------------

def _shape(shape) -> str:
    return "x".join(map(str, shape)) if shape else "-"


def _reach(size) -> str:
    return str(size[0]) if size[0] == size[1] else f"{size[0]}x{size[1]}"


def _bytes(count: int) -> str:
    from .core.weights import human_bytes

    return human_bytes(count)


def summary_table(summary, explain: bool = False) -> str:
    rule = "-" * 80
    total = summary.total_params or 1
    lines = [f"{summary.name}: input {_shape(summary.input_shape)}, {len(summary)} layers", "=" * 80,
             f"{'Layer (type:index)':<22}{'Output shape':<16}{'Params':>11}{'% params':>10}{'MACs':>15}{'RF':>6}",
             rule]
    for record in summary:
        lines.append(f"{f'{record.type}:{record.index}':<22}{_shape(record.output_shape):<16}"
                     f"{record.params:>11,}{record.params / total:>10.1%}{record.macs:>15,}"
                     f"{_reach(record.receptive_field):>6}")
        if explain:
            lines += [f"    {line}" for line in record.derivation]
        lines += [f"    note: {note}" for note in record.notes]
    lines += ["=" * 80,
              f"Total params: {summary.total_params:,} (weights {summary.total_weights:,}, biases {summary.total_biases:,})",
              f"Total MACs: {summary.total_macs:,}",
              f"Weight memory: {_bytes(summary.weight_bytes)} (float32)",
              f"Activation memory, one sample forward: {_bytes(summary.activation_bytes)}"]
    return "\n".join(lines)


def run_summary(args) -> int:
    from .core import Network

    summary = Network.load(args.net, args.input).summary()
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(summary_table(summary, args.explain))
    return 0


# -- forward ------------------------------------------------------------------

def say(text: str) -> None:
    print(f"cnntui: {text}", file=sys.stderr)


def choose_weights(net, args) -> None:
    if args.weights:
        net.load_weights(args.weights)
    elif args.seed is not None:
        net.init_weights(args.seed)
    elif net.shipped_weights:
        net.load_weights(net.shipped_weights)
    else:
        net.init_weights(0)
        say(f"weights: {net.weights_origin}, as {net.name} ships no trained weights (--weights or --seed choose)")
        return
    say(f"weights: {net.weights_origin}")


def run_forward(args) -> int:
    import numpy as np

    from .core import Network
    from .core.files import atomic_write
    from .images import load_input

    net = Network.load(args.net)
    x, note = load_input(args.input, net.input_shape, net.name)
    say(f"input: {note}")
    choose_weights(net, args)
    outputs = net.forward(x)
    arrays = {"input": np.asarray(x, dtype=np.float32), **{str(i): out for i, out in enumerate(outputs)}}
    with _writing(args.out), atomic_write(args.out) as handle:
        np.savez(handle, **arrays)
    say(f"wrote {args.out}: 'input' and '0'..'{len(outputs) - 1}', last output {_shape(outputs[-1].shape)}")
    if args.save_weights:
        with _writing(args.save_weights):
            net.save_weights(args.save_weights)
        say(f"wrote {args.save_weights}: {len(net.weights)} arrays")
    return 0


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


# -- export -------------------------------------------------------------------

def run_export(args) -> int:
    from .core.assets import find_network, read_json
    from .core.export import EXPORTERS

    print(EXPORTERS[args.to](read_json(find_network(args.net))), end="")
    return 0


# -- entry point --------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return getattr(args, "run", run_app)(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (e.g. `head`) went away; stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001  (the one place that turns errors into messages)
        return report(error)


def report(error: Exception) -> int:
    from .core import CnntuiError

    if isinstance(error, (UsageError, CnntuiError)):
        print(f"cnntui: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        print(f"cnntui: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    if os.environ.get("CNNTUI_DEBUG"):
        raise error
    detail = textwrap.shorten(f"{type(error).__name__}: {error}", 200)
    print(f"cnntui: internal error: {detail} (a bug in cnntui; run with CNNTUI_DEBUG=1 for the traceback)",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
