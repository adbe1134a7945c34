"""Layer types. Importing the modules registers every type in ``Layer.registry``."""

from . import activation, adaptive, conv, dense, norm, pool  # noqa: F401  (registration)
from .base import Layer, Reach, Shape, shape_text

LAYER_TYPES = Layer.registry

__all__ = ["LAYER_TYPES", "Layer", "Reach", "Shape", "shape_text"]
