"""The Layer base class: one subclass per layer type, found by its ``type`` name.

A layer owns everything about itself: which fields it takes, its output-shape
formula, parameter shapes, multiply-accumulates, receptive-field step,
derivation text, forward pass and backward pass. Adding a layer type is one subclass.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from ..errors import SpecError, closest, shown
from ..fields import Field
from ..messages import Message
from ..shapes import shape_text

Shape = tuple[int, ...]


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

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.type:
            Layer.registry[cls.type] = cls
        cls.defaults = {name: field.parse(name, field.default)
                        for name, field in cls.fields.items() if not field.required}

    def __init__(self, index: int, settings: dict[str, Any]):
        self.index = index
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
            if name != "type" and name not in cls.fields:
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
        """Array shapes of the learned parameters, in PyTorch's layout."""
        return {}

    def macs(self, shape: Shape, out: Shape) -> int:
        """Multiply-accumulates per sample, bias additions not counted."""
        return 0

    def reach(self, before: Reach) -> Reach:
        return before

    def reach_text(self, before: Reach, after: Reach) -> list[str]:
        return []

    def derivation(self, shape: Shape, out: Shape) -> list[str]:
        """Formulas with the numbers put in."""
        return []

    def notes(self, shape: Shape, out: Shape) -> list[Message]:
        """Things worth knowing that are not errors."""
        return []

    def fc_equivalent_params(self, shape: Shape, out: Shape) -> int | None:
        """Parameters a fully connected layer would need for the same input and output."""
        return None

    # -- computation --------------------------------------------------------

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
        """Output for a batch ``x`` of shape (N, *input shape)."""
        raise NotImplementedError

    def backward(self, x: np.ndarray, y: np.ndarray, grad_y: np.ndarray,
                 params: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Gradients for a batch: given the input ``x``, the forward output ``y`` and
        dL/dy, return dL/dx and dL/d(each parameter), keyed and shaped like ``params``
        ("weight", "bias"; empty for layers that learn nothing)."""
        raise NotImplementedError

    def work_elements(self, shape: Shape, out: Shape) -> int:
        """Scratch elements per sample the forward pass allocates besides its output."""
        return 0
