"""A neuron drawn as text: inputs times weights, summed with the bias, then the activation.

Plain characters with an --ascii variant, so it reads the same in 16 colours,
no colour, or on a terminal without box-drawing characters.
"""

from __future__ import annotations

from .placeholders import format_number


def _signed(value: float) -> str:
    text = format_number(value)
    return f"({text})" if value < 0 else text


def neuron_diagram(inputs: list[float], weights: list[float], bias: float, z: float,
                   activation: str, y: float, ascii_only: bool = False) -> list[str]:
    line, times, arrow = ("-", "x", ">") if ascii_only else ("─", "×", "▶")
    joints = ("+", "+", "+") if ascii_only else ("╮", "┤", "╯")
    x_text = [f"x{i + 1} = {format_number(v)}" for i, v in enumerate(inputs)]
    w_text = [f"w{i + 1} = {format_number(v)}" for i, v in enumerate(weights)]
    x_width, w_width = max(map(len, x_text)), max(map(len, w_text))
    middle = len(inputs) // 2
    lines = []
    for i, (x, w) in enumerate(zip(x_text, w_text)):
        joint = joints[0] if i == 0 else joints[2] if i == len(inputs) - 1 else joints[1]
        if len(inputs) == 1:
            joint = line
        tail = f"{line}{line}{arrow} z = sum(x*w) + b" if i == middle else ""
        lines.append(f"  {x:<{x_width}} {line}{times} {w:<{w_width}} {line}{line}{joint}{tail}")
    products = " + ".join(f"{_signed(x)}*{_signed(w)}" for x, w in zip(inputs, weights))
    lines += [
        f"  b = {format_number(bias)}",
        "",
        f"  z = {products} + {_signed(bias)} = {format_number(z)}",
        f"  y = {activation}(z) = {activation}({format_number(z)}) = {format_number(y)}",
    ]
    return lines
