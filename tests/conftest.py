"""Shared helpers for the engine tests.

``valid_network_specs`` is a hypothesis strategy for random networks that are
valid by construction: every window layer is chosen so that it fits, using
PyTorch's output-size rule restated here independently of the engine.
Test modules import it with ``from conftest import ...``.
"""

from __future__ import annotations

import os

# As `cnntui` itself does (cli.single_blas_thread): one BLAS thread, set before NumPy loads. Training
# with the default threads on a busy 2-core machine was 4-5 times slower in wall time.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

if os.environ.get("CNNTUI_REQUIRE_TORCH") == "1":
    # CI's parity step (.ci/run) must check the PyTorch claims: there a missing torch stops the
    # run with an ImportError, where pytest.importorskip("torch") would quietly skip them.
    import torch  # noqa: F401

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# The same examples on every run, so that a red CI run is the change's doing, never the draw's;
# CNNTUI_HYPOTHESIS=explore draws new ones each run, to look for bugs on purpose.
settings.register_profile(
    "cnntui", deadline=None, database=None, print_blob=True, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("explore", parent=settings.get_profile("cnntui"), derandomize=False)
settings.load_profile(os.environ.get("CNNTUI_HYPOTHESIS", "cnntui"))

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")


def window_out(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int,
               dilation: int = 1, ceil_mode: bool = False) -> int:
    """PyTorch's output size along one axis (torch/nn/modules docs + pooling_output_shape).

    Returns 0 when the (dilated) kernel does not fit the padded input.
    """
    span = dilation * (kernel - 1) + 1
    room = size + pad_lo + pad_hi - span
    if room < 0:
        return 0
    if not ceil_mode:
        return room // stride + 1
    out = -(-room // stride) + 1
    # ceil_mode: the last window must start inside the input or the left padding.
    if (out - 1) * stride >= size + pad_lo:
        out -= 1
    return out


def _field(values: tuple[int, int]):
    """A field as a learner would write it: one number when both axes agree."""
    return values[0] if values[0] == values[1] else list(values)


@st.composite
def _window_layer(draw, shape):
    """A conv2d/maxpool2d/avgpool2d layer that fits ``shape``, and its output shape."""
    c, h, w = shape
    kind = draw(st.sampled_from(["conv2d", "maxpool2d", "avgpool2d"]))
    square = draw(st.booleans())

    def per_axis(strategy):
        a = draw(strategy)
        return (a, a) if square else (a, draw(strategy))

    kernel = per_axis(st.integers(1, 4))
    dilation = per_axis(st.integers(1, 2)) if kind != "avgpool2d" else (1, 1)
    ceil_mode = draw(st.booleans()) if kind != "conv2d" else False
    layer = {"type": kind, "kernel_size": _field(kernel)}
    if kind == "conv2d":
        out_channels = draw(st.integers(1, 4))
        layer["out_channels"] = out_channels
        padding_kind = draw(st.sampled_from(["number", "same", "valid", "default"]))
        if padding_kind == "same":
            stride = (1, 1)
            pads = tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))
            layer["padding"] = "same"
        else:
            stride = per_axis(st.integers(1, 3))
            layer["stride"] = _field(stride)
            if padding_kind == "number":
                p = per_axis(st.integers(0, 2))
                layer["padding"] = _field(p)
            else:
                p = (0, 0)
                if padding_kind == "valid":
                    layer["padding"] = "valid"
            pads = tuple((x, x) for x in p)
        if draw(st.booleans()):
            layer["bias"] = draw(st.booleans())
        out_c = out_channels
    else:
        if draw(st.booleans()):
            stride = kernel
        else:
            stride = per_axis(st.integers(1, 3))
            layer["stride"] = _field(stride)
        p = tuple(draw(st.integers(0, k // 2)) for k in kernel) if not square else (
            (lambda v: (v, v))(draw(st.integers(0, min(kernel) // 2))))
        layer["padding"] = _field(p)
        pads = tuple((x, x) for x in p)
        layer["ceil_mode"] = ceil_mode
        if kind == "avgpool2d":
            layer["count_include_pad"] = draw(st.booleans())
        out_c = c
    def outs():
        return [window_out(n, k, s, lo, hi, d, ceil_mode)
                for n, k, s, (lo, hi), d in zip((h, w), kernel, stride, pads, dilation)]

    if min(outs()) < 1 and layer.get("padding") != "same":
        # Does not fit: shrink to the input (no dilation) and keep the rest.
        kernel = (min(kernel[0], h), min(kernel[1], w))
        dilation = (1, 1)
        layer["kernel_size"] = _field(kernel)
        if "stride" not in layer and kind != "conv2d":
            stride = kernel
        if kind != "conv2d":
            pads = tuple((min(lo, k // 2),) * 2 for (lo, _), k in zip(pads, kernel))
            layer["padding"] = _field(tuple(lo for lo, _ in pads))
    if kind != "avgpool2d" and dilation != (1, 1):
        layer["dilation"] = _field(dilation)
    if min(outs()) < 1:
        raise AssertionError(f"generator bug: {layer} on {shape}")
    return layer, (out_c, *outs())


@st.composite
def valid_network_specs(draw, max_side: int = 10, max_body: int = 4):
    """(spec, expected output shape of every layer) for a random valid network."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
    spec = {"input": list(shape), "layers": []}
    shapes = []
    for _ in range(draw(st.integers(0, max_body))):
        if draw(st.integers(0, 2)) == 0:
            kind = draw(st.sampled_from(ACTIVATIONS))
            layer = {"type": kind}
            if kind == "leaky_relu" and draw(st.booleans()):
                layer["negative_slope"] = draw(st.sampled_from([0.0, 0.1, 0.2, 1.5]))
            out = shape
        else:
            layer, out = draw(_window_layer(shape))
        spec["layers"].append(layer)
        shapes.append(out)
        shape = out
    head = draw(st.sampled_from(["none", "flatten", "gap", "flatten-linear", "gap-linear"]))
    if head != "none":
        if head.startswith("flatten"):
            spec["layers"].append({"type": "flatten"})
            shape = (shape[0] * shape[1] * shape[2],)
        else:
            spec["layers"].append({"type": "global_avg_pool"})
            shape = (shape[0],)
        shapes.append(shape)
        if head.endswith("linear"):
            for _ in range(draw(st.integers(1, 2))):
                layer = {"type": "linear", "out_features": draw(st.integers(1, 6))}
                if draw(st.booleans()):
                    layer["bias"] = draw(st.booleans())
                spec["layers"].append(layer)
                shape = (layer["out_features"],)
                shapes.append(shape)
                if draw(st.booleans()):
                    spec["layers"].append({"type": draw(st.sampled_from(ACTIVATIONS))})
                    shapes.append(shape)
            if draw(st.booleans()):
                spec["layers"].append({"type": "softmax"})
                shapes.append(shape)
    return spec, shapes


@pytest.fixture(autouse=True)
def no_lab_folders(request, tmp_path_factory, monkeypatch):
    """No test reads this machine's lab folders (quiz.material's site and user folders: empty ones instead),
    and none leaves instructor questions installed, or a course open, for the next. A test of the real
    folders' places is marked real_quiz_folders."""
    from cnntui.quiz import course, material
    from cnntui.quiz.questions import clear_installed

    if request.node.get_closest_marker("real_quiz_folders") is None:
        empty = tmp_path_factory.mktemp("lab-folders")
        monkeypatch.setattr(material, "site_folder", lambda: empty / "site")
        monkeypatch.setattr(material, "user_folder", lambda: empty / "user")
    yield
    clear_installed()
    course.use_course(None)


def pytest_configure(config):
    config.addinivalue_line("markers", "real_quiz_folders: the test reads quiz.material's real site and user folders")
