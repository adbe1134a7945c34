"""cnntui's engine: network descriptions, shapes, parameter counts and a NumPy forward pass.

Imports NumPy only, so a notebook can use it without the app::

    from cnntui.core import Network
    net = Network.load("tinyvgg")
    net.summary().total_params      # 19920
"""

from .analysis import LayerRecord, Summary, analyze
from .assets import assets_dir, preset_names
from .errors import BudgetError, CnntuiError, SpecError, WeightsError
from .kernels import CLASSIC_KERNELS, classic_kernel
from .layers import LAYER_TYPES, Layer
from .messages import TEMPLATES, Message
from .network import MEMORY_BUDGET, WEIGHT_BUDGET, Network

__all__ = [
    "BudgetError", "CLASSIC_KERNELS", "CnntuiError", "LAYER_TYPES", "Layer", "LayerRecord",
    "MEMORY_BUDGET", "Message", "Network", "SpecError", "Summary", "TEMPLATES", "WEIGHT_BUDGET",
    "WeightsError", "analyze", "assets_dir", "classic_kernel", "preset_names",
]
