"""cnntui's engine: network descriptions, shapes, parameter counts and a NumPy forward pass.

Imports NumPy only, so a notebook can use it without the app::

    from cnntui.core import Network
    net = Network.load("tinyvgg")
    net.summary().total_params      # 19920

Names are loaded on first use, so that importing a light submodule such as
``cnntui.core.assets`` does not pull in NumPy (the app paints before it
needs the engine).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "LayerRecord": "analysis", "Summary": "analysis", "analyze": "analysis", "check": "analysis",
    "assets_dir": "assets", "preset_names": "assets",
    "BudgetError": "errors", "CnntuiError": "errors", "SpecError": "errors", "WeightsError": "errors",
    "CLASSIC_KERNELS": "kernels", "classic_kernel": "kernels",
    "LAYER_TYPES": "layers", "Layer": "layers",
    "TEMPLATES": "messages", "Message": "messages",
    "MEMORY_BUDGET": "network", "WEIGHT_BUDGET": "network", "Network": "network",
    "shape_text": "shapes",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cnntui.core' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
