"""Tiny models train on one thread: on a busy machine, OpenMP threads that spin waiting for
each other make a step of a 64-wide model tens of times slower."""

import torch

torch.set_num_threads(1)
