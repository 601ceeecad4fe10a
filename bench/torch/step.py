"""
bench/step.ts's model in PyTorch on one thread: batch 256, input 100 → dense 256 (ReLU) → dense 256 (ReLU), two
regression heads (MSE), Adam. Trains on the batch bench/vs-torch.ts wrote (bench/step.ts's randomBatch), reading the
loss back every step as mtl's step does; prints the median milliseconds per step after a warm-up, as JSON.

  python3 step.py --data DIR --lr 0.001 --epsilon 1e-7 [--warmup 20] [--steps 200]
"""
import argparse
import statistics
import time

import torch
from torch import nn

from census import dense
from rows import add_adam_arguments, adam, read_split, report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--hidden", type=int, default=256)
    add_adam_arguments(parser)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()

    torch.manual_seed(1)
    x, labels = read_split(args.data, "train")
    tasks = list(labels)
    trunk = nn.Sequential(dense(x.shape[1], args.hidden), nn.ReLU(), dense(args.hidden, args.hidden), nn.ReLU())
    heads = nn.ModuleList(dense(args.hidden, 1) for _ in tasks)
    parameters = list(trunk.parameters()) + list(heads.parameters())
    optimizer = adam(parameters, args)
    mse = nn.MSELoss()
    targets = [labels[t] for t in tasks]

    def step():
        shared = trunk(x)
        loss = sum(mse(head(shared).squeeze(1), y) for head, y in zip(heads, targets))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    report({"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": int(x.shape[0]), "median_ms": statistics.median(times)})


if __name__ == "__main__":
    main()
