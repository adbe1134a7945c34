"""Weights: seeded initialisation, PyTorch naming and layout, .npz files."""

from __future__ import annotations

import math
import os
import zipfile

import numpy as np
import pytest

from cnntui.core import BudgetError, Network, WeightsError


def small_net(activation="relu") -> Network:
    return Network.from_dict({"input": [3, 8, 8], "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
        {"type": activation},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "conv2d", "out_channels": 5, "kernel_size": [1, 2], "bias": False},
        {"type": "flatten"},
        {"type": "linear", "out_features": 6},
        {"type": activation},
        {"type": "linear", "out_features": 2, "bias": False},
    ]})


# -- naming and layout ------------------------------------------------------------


def test_keys_and_pytorch_layouts():
    net = small_net()
    net.init_weights(0)
    # conv: (out, in, kh, kw); linear: (out, in); 8 -> 6 -> pool 3 -> 3x2; 5*3*2 = 30 features
    assert {k: v.shape for k, v in net.weights.items()} == {
        "0.weight": (4, 3, 3, 3), "0.bias": (4,),
        "3.weight": (5, 4, 1, 2),
        "5.weight": (6, 30), "5.bias": (6,),
        "7.weight": (2, 6),
    }
    assert list(net.weights) == list(net.param_shapes())
    assert all(v.dtype == np.float32 for v in net.weights.values())


def test_summary_counts_match_arrays():
    net = small_net()
    net.init_weights(0)
    s = net.summary()
    assert s.total_params == sum(v.size for v in net.weights.values())
    for record in s:
        assert record.weights == (net.weights[f"{record.index}.weight"].size
                                  if f"{record.index}.weight" in net.weights else 0)
        assert record.biases == (net.weights[f"{record.index}.bias"].size
                                 if f"{record.index}.bias" in net.weights else 0)


# -- initialisation ---------------------------------------------------------------


def test_init_deterministic_by_seed():
    a, b, c = small_net(), small_net(), small_net()
    a.init_weights(7)
    b.init_weights(7)
    c.init_weights(8)
    assert a.weights.keys() == b.weights.keys() == c.weights.keys()
    for key in a.weights:
        np.testing.assert_array_equal(a.weights[key], b.weights[key])
    assert any(not np.array_equal(a.weights[k], c.weights[k]) for k in a.weights if k.endswith("weight"))
    for key in a.weights:
        if key.endswith("weight"):
            assert not np.array_equal(a.weights[key], c.weights[key]), key
    # re-initialising the same network with the same seed reproduces it
    before = {k: v.copy() for k, v in a.weights.items()}
    a.init_weights(8)
    a.init_weights(7)
    for key in a.weights:
        np.testing.assert_array_equal(a.weights[key], before[key])


def test_biases_start_at_zero():
    net = small_net()
    net.init_weights(3)
    for key, value in net.weights.items():
        if key.endswith(".bias"):
            assert not value.any()


def big_linear_net(activation):
    return Network.from_dict({"input": [16, 5, 5], "layers": [
        {"type": "conv2d", "out_channels": 64, "kernel_size": 3},
        {"type": activation},
        {"type": "flatten"},
        {"type": "linear", "out_features": 300},
    ]})


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_he_init_for_relu_nets(activation):
    net = big_linear_net(activation)
    assert net.init_weights(1) == "he"
    assert "He" in net.weights_origin and "1" in net.weights_origin
    conv = net.weights["0.weight"]  # fan_in = 16*3*3 = 144
    assert conv.std() == pytest.approx(math.sqrt(2 / 144), rel=0.05)
    assert abs(conv.mean()) < 0.01
    linear = net.weights["3.weight"]  # fan_in = 64*3*3 = 576
    assert linear.std() == pytest.approx(math.sqrt(2 / 576), rel=0.05)
    # normal, not uniform: some values beyond 2 std
    assert (np.abs(linear) > 2 * math.sqrt(2 / 576)).mean() > 0.02


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_xavier_init_otherwise(activation):
    net = big_linear_net(activation)
    assert net.init_weights(1) == "xavier"
    assert "Xavier" in net.weights_origin
    # conv: fan_in = 16*9 = 144, fan_out = 64*9 = 576; uniform in +-sqrt(6/720)
    limit = math.sqrt(6 / (144 + 576))
    conv = net.weights["0.weight"]
    assert np.abs(conv).max() <= limit
    assert np.abs(conv).max() > 0.95 * limit
    assert conv.std() == pytest.approx(limit / math.sqrt(3), rel=0.05)
    # linear 576 -> 300
    limit = math.sqrt(6 / (576 + 300))
    linear = net.weights["3.weight"]
    assert np.abs(linear).max() <= limit
    assert linear.std() == pytest.approx(limit / math.sqrt(3), rel=0.05)


def test_init_without_activation_is_xavier():
    net = Network.from_dict({"input": [1, 2, 2], "layers": [{"type": "flatten"},
                                                            {"type": "linear", "out_features": 3}]})
    assert net.init_weights(0) == "xavier"


@pytest.mark.parametrize("name, count", [("vgg16", "138,357,544"), ("alexnet", "61,100,840")])
def test_init_big_presets_over_budget(name, count):
    net = Network.load(name)
    with pytest.raises(BudgetError) as info:
        net.init_weights(0)
    assert count in str(info.value)
    assert isinstance(info.value, MemoryError)
    assert net.weights == {}


def test_weight_budget_parameter():
    net = Network.load("tinyvgg")
    with pytest.raises(BudgetError, match="19,920"):
        net.init_weights(0, weight_budget=19920 * 4 - 1)
    net.init_weights(0, weight_budget=19920 * 4)
    assert sum(v.size for v in net.weights.values()) == 19920


# -- files --------------------------------------------------------------------------


def test_save_load_round_trip(tmp_path):
    net = small_net()
    net.init_weights(5)
    path = tmp_path / "w.npz"
    net.save_weights(path)
    other = small_net()
    other.load_weights(path)
    assert other.weights.keys() == net.weights.keys()
    for key in net.weights:
        assert other.weights[key].dtype == np.float32
        np.testing.assert_array_equal(other.weights[key], net.weights[key])
    assert str(path) in other.weights_origin
    x = np.random.default_rng(0).random((3, 8, 8)).astype(np.float32)
    for a, b in zip(net.forward(x), other.forward(x)):
        np.testing.assert_array_equal(a, b)
    # the file is a plain npz with PyTorch state_dict names
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(net.weights)


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    net = small_net()
    net.init_weights(0)
    path = tmp_path / "w.npz"
    net.save_weights(path)
    net.init_weights(1)
    net.save_weights(path)  # overwrite
    assert os.listdir(tmp_path) == ["w.npz"]
    check = small_net()
    check.load_weights(path)
    np.testing.assert_array_equal(check.weights["0.weight"], net.weights["0.weight"])


def test_failed_save_keeps_old_file(tmp_path, monkeypatch):
    net = small_net()
    net.init_weights(0)
    path = tmp_path / "w.npz"
    net.save_weights(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    net.init_weights(1)
    with pytest.raises(OSError):
        net.save_weights(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]


def test_save_without_weights(tmp_path):
    with pytest.raises(WeightsError, match="no weights"):
        small_net().save_weights(tmp_path / "w.npz")
    assert os.listdir(tmp_path) == []


def saved(tmp_path, arrays, name="w.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def good_arrays():
    net = small_net()
    net.init_weights(0)
    return dict(net.weights)


def test_load_missing_key(tmp_path):
    arrays = good_arrays()
    del arrays["3.weight"]
    with pytest.raises(WeightsError) as info:
        small_net().load_weights(saved(tmp_path, arrays))
    text = str(info.value)
    assert "'3.weight'" in text and "layer 3 conv2d" in text and "(5, 4, 1, 2)" in text


def test_load_extra_key(tmp_path):
    arrays = good_arrays()
    arrays["3.bias"] = np.zeros(5, dtype=np.float32)  # layer 3 has bias=False
    with pytest.raises(WeightsError, match=r"'3\.bias'"):
        small_net().load_weights(saved(tmp_path, arrays))
    arrays = good_arrays()
    arrays["fc.weight"] = np.zeros((2, 6), dtype=np.float32)
    with pytest.raises(WeightsError, match="fc.weight"):
        small_net().load_weights(saved(tmp_path, arrays))


def test_load_wrong_shape(tmp_path):
    arrays = good_arrays()
    arrays["5.weight"] = arrays["5.weight"].T.copy()
    with pytest.raises(WeightsError) as info:
        small_net().load_weights(saved(tmp_path, arrays))
    text = str(info.value)
    assert "'5.weight'" in text and "layer 5 linear" in text and "(30, 6)" in text and "(6, 30)" in text


def test_load_non_finite(tmp_path):
    arrays = good_arrays()
    arrays["0.bias"][1] = np.nan
    with pytest.raises(WeightsError, match="NaN"):
        small_net().load_weights(saved(tmp_path, arrays))


def test_load_non_numeric(tmp_path):
    arrays = good_arrays()
    arrays["7.weight"] = np.full((2, 6), "x")
    with pytest.raises(WeightsError, match="7.weight"):
        small_net().load_weights(saved(tmp_path, arrays))


class _Trap:
    """Unpickling this creates a marker file, which must never happen."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_object_array_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "unpickled"
    arrays = good_arrays()
    arrays["0.weight"] = np.array([_Trap(marker)], dtype=object)
    path = saved(tmp_path, arrays)
    with pytest.raises(WeightsError) as info:
        small_net().load_weights(path)
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_non_zip_file(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(WeightsError, match="not a readable"):
        small_net().load_weights(path)


def test_truncated_file(tmp_path):
    net = small_net()
    net.init_weights(0)
    path = tmp_path / "w.npz"
    net.save_weights(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(WeightsError):
        small_net().load_weights(path)


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match="nope.npz"):
        small_net().load_weights(tmp_path / "nope.npz")


def test_npy_file_is_a_weights_error(tmp_path):
    # a single .npy array (no names) is not a weights file
    path = tmp_path / "w.npy"
    np.save(path, np.zeros(3, dtype=np.float32))
    with pytest.raises(WeightsError, match="w.npy"):
        small_net().load_weights(path)


def test_zip_with_non_npy_members_is_a_weights_error(tmp_path):
    # BUG: NpzFile returns raw bytes for members without a .npy suffix; fitted()
    # then reads .dtype of bytes and raises AttributeError.
    net = Network.from_dict({"input": [1, 2, 2], "layers": [
        {"type": "flatten"}, {"type": "linear", "out_features": 1}]})
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("1.weight", b"abc")
        archive.writestr("1.bias", b"def")
    with pytest.raises(WeightsError):
        net.load_weights(path)


def test_set_weights_from_state_dict_like_arrays():
    net = small_net()
    arrays = {k: v.astype(np.float64) for k, v in good_arrays().items()}
    net.set_weights(arrays)
    assert all(v.dtype == np.float32 for v in net.weights.values())
    assert net.weights_origin == "given"
    arrays.pop("0.bias")
    with pytest.raises(WeightsError, match="layer 0 conv2d"):
        net.set_weights(arrays)


def test_load_budget(tmp_path):
    net = Network.load("tinyvgg")
    net.init_weights(0)
    path = tmp_path / "w.npz"
    net.save_weights(path)
    with pytest.raises(BudgetError):
        Network.load("tinyvgg").load_weights(path, weight_budget=1000)
