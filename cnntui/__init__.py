"""cnntui: how convolutional neural networks work, with live numbers, in the terminal."""

__version__ = "0.1.0"
