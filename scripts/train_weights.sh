#!/usr/bin/env bash
# Make the trained weights that ship with the lenet5, tinyvgg and minires presets, in assets/weights/:
#
#     scripts/train_weights.sh
#
# with cnntui installed (e.g. `pip install .` in an active venv). These are exactly the
# commands that made the shipped files; each also writes a .json record beside its .npz
# (validation accuracy, dataset, samples, seed, epochs, the command). Nothing is
# downloaded: the data is drawn from the seed. On a 2-core machine lenet5 takes about
# 1.5 minutes, tinyvgg about 10 and minires about 2.
#
# Training is deterministic on one machine (cnntui uses one BLAS thread), so a rerun
# there gives the same bytes; on another CPU, NumPy or BLAS the rounding differs and
# the accuracies may move by a point or so.
#
# tinyvgg's 8 epochs were chosen by validation accuracy (early stopping): with Adam at
# a constant learning rate it wobbles by a few points from epoch to epoch.
# minires (a small ResNet with batch norm) needs half tinyvgg's samples; after 6 epochs it
# still took the triangle sample for a square, after 8 it knows all four samples View shows.
# tests/test_shipped_weights.py checks each on a freshly drawn set no run has seen.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p assets/weights

cnntui train lenet5 --dataset digits --epochs 10 --samples 20000 --seed 0 --batch 64 --lr 0.001 --out assets/weights/lenet5-digits.npz
cnntui train tinyvgg --dataset shapes --epochs 8 --samples 20000 --seed 0 --batch 32 --lr 0.002 --out assets/weights/tinyvgg-shapes.npz
cnntui train minires --dataset shapes --epochs 8 --samples 10000 --seed 0 --batch 32 --lr 0.002 --out assets/weights/minires-shapes.npz
