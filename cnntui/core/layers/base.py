"""The Layer base class: one subclass per layer type, found by its ``type`` name.

A layer owns everything about itself: which fields it takes, its output-shape
formula, parameter shapes, multiply-accumulates, receptive-field step,
derivation text, forward pass and backward pass. Adding a layer type is one subclass.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, NamedTuple

import numpy as np

from ..errors import SpecError, closest, shown
from ..fields import Field
from ..messages import Message
from ..shapes import shape_text

Shape = tuple[int, ...]

# What a derivation line works out: consumers that want only some lines (an instructor's computed
# question shows the output-shape lines for an output-shape question) pick them by this, never by the text.
ABOUTS = ("shape", "params", "macs", "rf", "other")


class DerivationLine(str):
    """One line of a layer's derivation: the text every consumer prints, and ``about``, one of ABOUTS."""

    about: str

    def __new__(cls, text: str, about: str):
        if about not in ABOUTS:
            raise ValueError(f"derivation line about {about!r}, not one of {ABOUTS}")
        line = super().__new__(cls, text)
        line.about = about
        return line

    def __getnewargs__(self):  # copy and deepcopy make the line again with its kind
        return str(self), self.about


def shape_line(text: str) -> DerivationLine:
    """A line working out the output's size (a map's height, a vector's length)."""
    return DerivationLine(text, "shape")


def params_line(text: str) -> DerivationLine:
    return DerivationLine(text, "params")


def macs_line(text: str) -> DerivationLine:
    return DerivationLine(text, "macs")


def rf_line(text: str) -> DerivationLine:
    """A line working out the receptive field (and jump)."""
    return DerivationLine(text, "rf")


def other_line(text: str) -> DerivationLine:
    """Any other line: how each output value is computed, the FC equivalent, batch norm's buffers."""
    return DerivationLine(text, "other")


class Reach(NamedTuple):
    """Receptive field (input pixels one output sees) and jump (input step per output step)."""

    size: tuple[int, int]
    jump: tuple[int, int]
    image: tuple[int, int]

    def whole_input(self) -> Reach:
        """Every output sees the whole input, as after flatten or global pooling."""
        size = (max(self.size[0], self.image[0]), max(self.size[1], self.image[1]))
        return Reach(size, self.jump, self.image)


class Layer:
    type: ClassVar[str] = ""
    fields: ClassVar[dict[str, Field]] = {}
    defaults: ClassVar[dict[str, Any]] = {}
    registry: ClassVar[dict[str, type[Layer]]] = {}
    # Whether each output is a neuron: a weighted sum of its inputs plus a bias. Only conv and
    # linear units are; activations, pooling and flatten pass values on without weighing them.
    has_neurons: ClassVar[bool] = False
    # The element-wise functions between layers (ReLU, sigmoid, ...): View and Train show a conv's
    # maps after the activation that follows it.
    is_activation: ClassVar[bool] = False
    # Whether each output value is made from the input value at the same place and channel alone
    # (activations, batch norm, dropout): between a depthwise conv and a 1x1 conv such layers leave
    # the two a depthwise-separable pair (core/separable.py).
    per_value: ClassVar[bool] = False
    # Whether View, showing the activation right after this layer, works through this layer's step()
    # (one output value by hand) and then the activation: conv -> relu shows the conv's sums, then relu.
    worked_before_activation: ClassVar[bool] = False
    # Activations flat for large |x| (sigmoid, tanh): a network of them is slow to start learning.
    saturates: ClassVar[bool] = False
    # A comment the Keras export writes once at the top when a network has this type.
    keras_header: ClassVar[str] = ""
    # Joins (where a block's branches meet, core/blocks.py) are steps too; layers are not joins.
    is_join: ClassVar[bool] = False
    # ReLU-like activations want He initialisation (a network with one gets it); sigmoid and tanh, Xavier.
    wants_he_init: ClassVar[bool] = False
    # The one-line text form (core/textform.py builds its grammar from these): the word that starts
    # the layer ("conv"); the field written bare right after it ("conv 16": out_channels), or "";
    # options, a prefix glued to a value ("k5": kernel_size 5); flags, words that set a field to a
    # value ("nobias": bias false). A type without a keyword has no text form.
    keyword: ClassVar[str] = ""
    text_lead: ClassVar[str] = ""
    text_options: ClassVar[dict[str, str]] = {}
    text_flags: ClassVar[dict[str, tuple[str, Any]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.type:
            Layer.registry[cls.type] = cls
        cls.defaults = {name: field.parse(name, field.default)
                        for name, field in cls.fields.items() if not field.required}

    def __init__(self, index: int, settings: dict[str, Any]):
        self.index = index  # the step's position in the network's list of steps
        self.path = str(index)  # the dotted module name PyTorch gives it; the network sets it
        self.settings = settings
        for name, value in settings.items():
            setattr(self, name, value)

    # -- building from JSON -------------------------------------------------

    @classmethod
    def parse(cls, index: int, spec: dict[str, Any]) -> Layer:
        """Check every field of ``spec``; raise one SpecError listing all problems."""
        problems: list[SpecError] = []
        settings: dict[str, Any] = {}
        for name in spec:
            if name not in ("type", "name") and name not in cls.fields:
                problems.append(SpecError(
                    "unknown_field", got=name, hint=closest(name, cls.fields), type=cls.type,
                    known=", ".join(cls.fields) or "no fields", field=name))
        for name, field in cls.fields.items():
            if name not in spec:
                if field.required:
                    problems.append(SpecError("missing_field", type=cls.type, field=name,
                                              example=shown(field.example)))
                else:
                    settings[name] = cls.defaults[name]
                continue
            try:
                settings[name] = field.parse(name, spec[name])
            except SpecError as problem:
                problems.append(problem)
        if not problems:
            try:
                cls.check_settings(settings)
            except SpecError as problem:
                problems.append(problem)
        if problems:
            for problem in problems:
                problem.index, problem.layer_type = index, cls.type
            raise SpecError.gather(problems)
        return cls(index, settings)

    @classmethod
    def check_settings(cls, settings: dict[str, Any]) -> None:
        """Rules that tie fields together; override where a type has them."""

    def error(self, code: str, **args) -> SpecError:
        return SpecError(code, index=self.index, layer_type=self.type, **args)

    def require_maps(self, shape: Shape) -> None:
        if len(shape) != 3:
            raise self.error("needs_maps", type=self.type, n=shape[0])

    def require_vector(self, shape: Shape) -> None:
        if len(shape) != 1:
            raise self.error("needs_vector", type=self.type, shape=shape_text(shape))

    # -- analysis, without allocating anything ------------------------------

    def output_shape(self, shape: Shape) -> Shape:
        """The output shape for input ``shape``; SpecError when it cannot work."""
        return shape

    def param_shapes(self, shape: Shape) -> dict[str, Shape]:
        """Array shapes of the learned parameters, in PyTorch's layout and order."""
        return {}

    def buffer_shapes(self, shape: Shape) -> dict[str, Shape]:
        """Arrays kept in the state dict beside the parameters but not learned (batch norm's
        running statistics), in PyTorch's order."""
        return {}

    def state_dtype(self, kind: str) -> type:
        """The dtype a parameter or buffer is kept in: float32, as PyTorch's; counters override."""
        return np.float32

    def state_problem(self, kind: str, array: np.ndarray) -> str | None:
        """A message code when a loaded array cannot be this layer's ``kind`` (e.g. a negative
        running variance), else None. Shapes and finiteness are checked for every array already."""
        return None

    def initial_state(self, shape: Shape, scheme: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Starting values of every parameter and buffer: weights drawn from ``rng`` ("he":
        normal with std sqrt(2 / fan_in); "xavier": uniform in +-sqrt(6 / (fan_in + fan_out))),
        biases 0. fan_in counts one output's inputs (in_channels/groups * kh * kw for a conv),
        as in PyTorch. Override for parameters that start otherwise (batch norm's scale is 1)."""
        state = {}
        for kind, param_shape in self.param_shapes(shape).items():
            if kind == "bias":
                state[kind] = np.zeros(param_shape, dtype=np.float32)
                continue
            receptive = math.prod(param_shape[2:])
            fan_in, fan_out = param_shape[1] * receptive, param_shape[0] * receptive
            if scheme == "he":
                std = np.float32(math.sqrt(2 / fan_in))
                state[kind] = rng.standard_normal(param_shape, dtype=np.float32) * std
            else:
                limit = math.sqrt(6 / (fan_in + fan_out))
                state[kind] = rng.uniform(-limit, limit, param_shape).astype(np.float32)
        return state

    def macs(self, shape: Shape, out: Shape) -> int:
        """Multiply-accumulates per sample, bias additions not counted."""
        return 0

    def reach(self, before: Reach) -> Reach:
        return before

    def reach_text(self, before: Reach, after: Reach) -> list[DerivationLine]:
        """The receptive-field lines (rf_line) of the derivation."""
        return []

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        """Formulas with the numbers put in, each made with a helper above that says what it works out."""
        return []

    def notes(self, shape: Shape, out: Shape) -> list[Message]:
        """Things worth knowing that are not errors."""
        return []

    def fc_equivalent_params(self, shape: Shape, out: Shape) -> int | None:
        """Parameters a fully connected layer would need for the same input and output."""
        return None

    # -- computation --------------------------------------------------------

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray], training: bool = False,
                memo: dict | None = None) -> np.ndarray:
        """Output for a batch ``x`` of shape (N, *input shape).

        ``params`` holds the parameters and buffers by kind ("weight", "running_mean", ...).
        ``training`` selects training behaviour where a type has one (batch norm uses the
        batch's statistics and updates its buffers in place; dropout drops). ``memo`` is a
        dict this step's backward will get back: in training it holds "rng", a seeded
        Generator, and a layer may keep there what its backward needs (dropout's mask).
        """
        raise NotImplementedError

    def backward(self, x: np.ndarray, y: np.ndarray, grad_y: np.ndarray, params: dict[str, np.ndarray],
                 training: bool = False, memo: dict | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Gradients for a batch: given the input ``x``, the forward output ``y`` and
        dL/dy, return dL/dx and dL/d(each learned parameter), keyed and shaped like
        ``param_shapes`` ("weight", "bias"; empty for layers that learn nothing).
        ``training`` and ``memo`` are what the forward pass had."""
        raise NotImplementedError

    def work_elements(self, shape: Shape, out: Shape) -> int:
        """Scratch elements per sample the forward pass allocates besides its output."""
        return 0

    # -- code for frameworks (core/export.py assembles it) -------------------

    def pytorch_module(self, shape: Shape) -> str:
        """This layer as a torch.nn module for input ``shape``, e.g. "nn.Conv2d(1, 6, kernel_size=5)"."""
        raise NotImplementedError

    def keras_layers(self, shape: Shape) -> KerasCode:
        """This layer as Keras layers (channels-last) for input ``shape``, and where they differ."""
        raise NotImplementedError


class KerasCode(NamedTuple):
    """A layer in Keras: ``layers``, the expressions in order (a padding layer may come before the
    layer itself, which is last), and ``notes``, comment lines on where Keras differs from PyTorch."""

    layers: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @classmethod
    def one(cls, layer: str, *notes: str) -> KerasCode:
        return cls((layer,), notes)


def python_value(value: Any) -> str:
    """A setting as Python source: a square pair as one number (PyTorch's modules take either)."""
    if isinstance(value, tuple):
        return repr(value[0]) if value[0] == value[1] else f"({value[0]}, {value[1]})"
    return repr(value)


def keyword_args(layer: Layer, names: dict[str, str]) -> list[str]:
    """``keyword=value`` for each setting in ``names`` (field -> the framework's keyword), in that
    order, leaving out those at the type's default (a required field is always written)."""
    return [f"{keyword}={python_value(layer.settings[name])}" for name, keyword in names.items()
            if name not in layer.defaults or layer.settings[name] != layer.defaults[name]]
