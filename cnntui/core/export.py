"""A network as PyTorch or Keras code, for learners moving on to a framework.

The PyTorch code is an ``nn.Sequential`` with one module per layer, at the
same index, so weights saved by cnntui load with ``load_state_dict`` as they
are. Keras is channels-last and has no numeric padding, so its code says
where it cannot match exactly.
"""

from __future__ import annotations

from pathlib import PurePath

from .analysis import Summary, check
from .printable import printable
from .shapes import shape_text


# What a final Softmax means for training: the frameworks' cross-entropy losses take the raw scores
# (logits) unless told otherwise, and softmax twice trains badly without any error to say so.
PYTORCH_SOFTMAX_NOTE = (
    "# The last layer is a Softmax, so the model outputs probabilities: keep it for predictions.",
    "# To train with nn.CrossEntropyLoss, leave the final Softmax out (use model[:-1]): that loss",
    "# applies log-softmax itself and expects the raw scores (logits).",
)
KERAS_SOFTMAX_NOTE = (
    "# The last layer is a Softmax, so the model outputs probabilities: train it with a plain",
    "# keras.losses.CategoricalCrossentropy() (SparseCategoricalCrossentropy() for integer labels).",
    "# Or drop the Softmax and pass from_logits=True to that loss; then apply softmax for predictions.",
)


def _softmax_note(summary: Summary, note: tuple[str, ...]) -> list[str]:
    """``note`` after a blank line when the network ends with a softmax, else nothing."""
    return ["", *note] if len(summary) and summary[-1].type == "softmax" else []


def _arg(value) -> str:
    return f"({value[0]}, {value[1]})" if isinstance(value, list) else repr(value)


def _options(layer: dict, names: dict[str, str], defaults: dict) -> list[str]:
    """keyword=value for every field set to something other than its default."""
    return [f"{names.get(field, field)}={_arg(layer[field])}" for field in names
            if field in layer and layer[field] is not None and layer[field] != defaults.get(field)]


def _header(summary: Summary, framework: str) -> list[str]:
    shape = shape_text(summary.input_shape)
    # The name comes from the file: a newline in it would end the comment and start code.
    return [f"# {printable(summary.name)}: input {shape}, {summary.total_params:,} parameters; written by cnntui for {framework}"]


def to_pytorch(spec: dict) -> str:
    summary = check(spec)
    lines = [*_header(summary, "PyTorch"), "import torch", "from torch import nn", "", "model = nn.Sequential("]
    for record in summary:
        layer, kind = record.spec, record.type
        if kind == "conv2d":
            options = _options(layer, {"kernel_size": "kernel_size", "stride": "stride", "padding": "padding",
                                       "dilation": "dilation", "bias": "bias"},
                               {"stride": 1, "padding": 0, "dilation": 1, "bias": True})
            module = f"nn.Conv2d({record.input_shape[0]}, {layer['out_channels']}, {', '.join(options)})"
        elif kind in ("maxpool2d", "avgpool2d"):
            names = {"kernel_size": "kernel_size", "stride": "stride", "padding": "padding", "dilation": "dilation",
                     "ceil_mode": "ceil_mode", "count_include_pad": "count_include_pad"}
            options = _options(layer, names, {"padding": 0, "dilation": 1, "ceil_mode": False,
                                              "count_include_pad": True})
            module = f"nn.{'MaxPool2d' if kind == 'maxpool2d' else 'AvgPool2d'}({', '.join(options)})"
        elif kind == "linear":
            bias = "" if layer.get("bias", True) else ", bias=False"
            module = f"nn.Linear({record.input_shape[0]}, {layer['out_features']}{bias})"
        elif kind == "global_avg_pool":
            # One module per layer keeps the indices equal to cnntui's.
            module = "nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())"
        elif kind == "leaky_relu":
            module = f"nn.LeakyReLU({layer.get('negative_slope', 0.01)})"
        else:
            module = {"relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()",
                      "flatten": "nn.Flatten()", "softmax": "nn.Softmax(dim=1)"}[kind]
        out = shape_text(record.output_shape)
        lines.append(f"    {module + ',':<44} # {record.index}: {out}")
    lines += [")", *_softmax_note(summary, PYTORCH_SOFTMAX_NOTE)]
    own = _own_weights(spec)
    source = (f"This network's own weights ({printable(own)}), like any saved by cnntui (--save-weights),"
              if own else "Weights saved by cnntui (--save-weights W.npz)")
    lines += ["",
              f"# {source} load as they are:",
              "# import numpy as np",
              f"# model.load_state_dict({{k: torch.from_numpy(v) for k, v in np.load({own or 'W.npz'!r}).items()}})"]
    return "\n".join(lines) + "\n"


def _own_weights(spec: dict) -> str:
    """The file name of the weights the network names (a preset's "weights" key), or ""."""
    weights = spec.get("weights")
    return PurePath(weights).name if isinstance(weights, str) else ""


def to_keras(spec: dict) -> str:
    summary = check(spec)
    c, h, w = summary.input_shape
    lines = [*_header(summary, "Keras"), "import keras", "from keras import layers", "",
             "model = keras.Sequential([",
             f"    keras.Input(shape=({h}, {w}, {c})),  # Keras is channels-last: height, width, channels"]
    for record in summary:
        lines += [f"    {line}" for line in _keras_layer(record)]
    lines += ["])", *_softmax_note(summary, KERAS_SOFTMAX_NOTE)]
    return "\n".join(lines) + "\n"


def _keras_layer(record) -> list[str]:
    """The Keras line for one layer, with any padding layer before it and caveats after it."""
    layer, kind = record.spec, record.type
    before, after = [], []
    padding = layer.get("padding", 0)
    if kind in ("conv2d", "maxpool2d", "avgpool2d") and padding not in (0, "valid", "same", [0, 0]):
        before.append(f"layers.ZeroPadding2D(padding={_arg(padding)}),")
        if kind == "maxpool2d":
            after.append("# PyTorch pads max pooling with -inf, Keras with zeros: equal only after a ReLU")
    if kind == "conv2d":
        options = [f"{layer['out_channels']}", f"kernel_size={_arg(layer['kernel_size'])}"]
        options += [f"strides={_arg(layer['stride'])}"] if layer.get("stride", 1) != 1 else []
        options += ["padding='same'"] if padding == "same" else []
        options += [f"dilation_rate={_arg(layer['dilation'])}"] if layer.get("dilation", 1) != 1 else []
        options += ["use_bias=False"] if not layer.get("bias", True) else []
        module = f"layers.Conv2D({', '.join(options)}),"
    elif kind in ("maxpool2d", "avgpool2d"):
        options = [f"pool_size={_arg(layer['kernel_size'])}"]
        options += [f"strides={_arg(layer['stride'])}"] if layer.get("stride") is not None else []
        module = f"layers.{'MaxPooling2D' if kind == 'maxpool2d' else 'AveragePooling2D'}({', '.join(options)}),"
        if layer.get("ceil_mode") or layer.get("dilation", 1) != 1 or layer.get("count_include_pad") is False:
            after.append("# ceil_mode, pooling dilation and count_include_pad=False have no Keras equivalent")
    elif kind == "linear":
        module = f"layers.Dense({layer['out_features']}{'' if layer.get('bias', True) else ', use_bias=False'}),"
    elif kind == "flatten":
        module = "layers.Flatten(),"
        after.append("# Keras flattens in height, width, channel order; PyTorch puts channels first")
    elif kind == "leaky_relu":
        module = f"layers.LeakyReLU(negative_slope={layer.get('negative_slope', 0.01)}),"
    else:
        module = {"relu": "layers.ReLU(),", "sigmoid": "layers.Activation('sigmoid'),",
                  "tanh": "layers.Activation('tanh'),", "softmax": "layers.Softmax(),",
                  "global_avg_pool": "layers.GlobalAveragePooling2D(),"}[kind]
    out = shape_text(record.output_shape)
    return [*before, f"{module:<44} # {record.index}: {out}", *after]


EXPORTERS = {"pytorch": to_pytorch, "keras": to_keras}
