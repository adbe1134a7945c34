"""Placeholders in Learn pages: small expressions, evaluated safely, and numbers formatted for reading.

Pure Python, so a page without a worked example renders without the engine.
"""

from __future__ import annotations

import ast
import math
import operator
import string
from typing import Any



class ExampleError(ValueError):
    """A worked example that cannot be computed: a bug in the content, never the user's."""


class Shape(tuple):
    """A shape that prints as 6x28x28 and still indexes like a tuple."""

    def __format__(self, spec: str) -> str:
        return format("x".join(map(str, self)), spec)


class Lines(list):
    """Derivation lines; they print one per line."""

    def __format__(self, spec: str) -> str:
        return "\n".join(self)


def format_number(value: Any, spec: str = "") -> str:
    if spec:
        return format(value, spec)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return format(value, spec)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def pct(part: float, whole: float) -> float:
    return 100 * part / whole if whole else 0.0


FUNCTIONS = {"pct": pct, "round": round, "abs": abs, "max": max, "min": min, "int": int, "float": float,
             "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "tanh": math.tanh, "len": len}
OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
             ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
             ast.USub: operator.neg, ast.UAdd: operator.pos}


def evaluate(expression: str, namespace: dict[str, Any]) -> Any:
    """Evaluate a placeholder expression without eval: only the node types below are allowed."""
    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in namespace:
                return namespace[node.id]
            if node.id in FUNCTIONS:
                return FUNCTIONS[node.id]
            raise ExampleError(f"unknown name '{node.id}'")
        if isinstance(node, ast.Attribute) and not node.attr.startswith("_"):
            return getattr(walk(node.value), node.attr)
        if isinstance(node, ast.Subscript):
            return walk(node.value)[walk(node.slice)]
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
                and not node.keywords:
            return FUNCTIONS[node.func.id](*(walk(arg) for arg in node.args))
        raise ExampleError(f"'{ast.unparse(node)}' is not allowed in a placeholder")

    try:
        return walk(ast.parse(expression.strip(), mode="eval").body)
    except ExampleError:
        raise
    except Exception as error:  # noqa: BLE001  (any failure is a content bug, reported with its placeholder)
        raise ExampleError(f"{{{expression}}}: {type(error).__name__}: {error}") from None


def fill(template: str, namespace: dict[str, Any]) -> str:
    """``template`` with every {expression[:format]} replaced by its value; {{ and }} are braces."""
    parts = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        parts.append(literal)
        if field is None:
            continue
        if conversion:
            raise ExampleError(f"{{{field}!{conversion}}}: conversions are not supported")
        parts.append(format_number(evaluate(field, namespace), spec or ""))
    return "".join(parts)
