"""Sliding-window arithmetic along one axis, exactly as PyTorch does it.

Convolution and both poolings share this: output size (with dilation and
ceil_mode), the padding the forward pass needs, which input rows no window
reaches, and the receptive-field step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class Axis:
    size: int
    kernel: int
    stride: int
    pad_lo: int
    pad_hi: int
    dilation: int = 1
    ceil_mode: bool = False

    @property
    def span(self) -> int:
        """How many input positions one window covers, dilation included."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def padded(self) -> int:
        return self.size + self.pad_lo + self.pad_hi

    @property
    def fits(self) -> bool:
        """PyTorch's test: at least one output. Under ceil_mode a window may overhang the input."""
        return self.out >= 1

    def _raw_out(self) -> int:
        room = self.padded - self.span
        if self.ceil_mode:
            return -(-room // self.stride) + 1
        return room // self.stride + 1

    @property
    def trimmed(self) -> bool:
        """ceil_mode's rule: a last window that starts in the right padding is dropped."""
        return self.ceil_mode and (self._raw_out() - 1) * self.stride >= self.size + self.pad_lo

    @property
    def out(self) -> int:
        return self._raw_out() - (1 if self.trimmed else 0)

    @property
    def extent(self) -> int:
        """Padded positions the windows reach; may pass the padding under ceil_mode."""
        return (self.out - 1) * self.stride + self.span

    @property
    def overhang(self) -> int:
        """Positions past the right padding that ceil_mode windows reach."""
        return max(0, self.extent - self.padded)

    def formula(self, name: str) -> str:
        pad = f"2*{self.pad_lo}" if self.pad_lo == self.pad_hi else f"{self.pad_lo} + {self.pad_hi}"
        rounding = "ceil" if self.ceil_mode else "floor"
        text = (f"{name}_out = {rounding}(({self.size} + {pad} - {self.dilation}*({self.kernel}-1) - 1)"
                f"/{self.stride}) + 1")
        if self.trimmed:
            text += " - 1"
        return f"{text} = {self.out}"

    def unused(self) -> list[int]:
        """Input positions (0-based) that no tap of any window reaches."""
        if self.dilation == 1 and self.stride <= self.kernel:
            # Windows then tile without gaps, so only a tail can be missed.
            first_unreached = self.extent - self.pad_lo
            return list(range(max(first_unreached, 0), self.size))
        taps = (np.arange(self.out)[:, None] * self.stride
                + np.arange(self.kernel)[None, :] * self.dilation - self.pad_lo).ravel()
        reached = np.zeros(self.size, dtype=bool)
        reached[taps[(taps >= 0) & (taps < self.size)]] = True
        return np.flatnonzero(~reached).tolist()

    def tap_slice(self, tap: int) -> slice:
        """The padded positions that kernel tap ``tap`` reads, one per output."""
        start = tap * self.dilation
        return slice(start, start + self.stride * (self.out - 1) + 1, self.stride)

    def window_sizes(self, include_pad: bool) -> np.ndarray:
        """Elements per window along this axis, for average pooling's divisor.

        As in PyTorch, a window is first clipped to the padded input; without
        count_include_pad it is clipped to the real input too.
        """
        start = np.arange(self.out) * self.stride - self.pad_lo
        end = np.minimum(start + self.kernel, self.size + self.pad_hi)
        if include_pad:
            return end - start
        return np.minimum(end, self.size) - np.maximum(start, 0)


def describe_positions(positions: list[int]) -> str:
    """'27', '26-27' or '1, 3, 5, ..., 27 (14)' (the count in brackets)."""
    if len(positions) == 1:
        return str(positions[0])
    if positions == list(range(positions[0], positions[-1] + 1)):
        return f"{positions[0]}-{positions[-1]}"
    if len(positions) <= 4:
        return ", ".join(map(str, positions))
    return ", ".join(map(str, positions[:3])) + f", ..., {positions[-1]} ({len(positions)})"
