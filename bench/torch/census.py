"""
The census models of `npm run bench:vs-torch` in PyTorch on one thread, trained as `mtl run` trains them: per epoch,
one pass over the training split in shuffled batches, then a forward pass over the validation split in batches of the
same size and each task's AUC (numpy, rank-based with ties averaged). Prints one JSON line: per epoch, the seconds of
its training steps and of its evaluation, and the AUCs.

  python3 census.py --data DIR --model hard --trunk 128,64 --tower 8 --epochs 10 --batch 256 --lr 0.002 ...
  python3 census.py --data DIR --model mmoe --experts 8 --expert-units 4 --tower 8 ...
"""
import argparse
import time

import numpy as np
import torch
from torch import nn

from rows import add_adam_arguments, adam, read_split, report


def dense(fan_in, fan_out):
    # mtl's dense layers start Glorot-uniform with zero biases; PyTorch's default is another, so it is set here.
    layer = nn.Linear(fan_in, fan_out)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def tower(fan_in, units):
    """A task's tower (Linear + ReLU) and its binary head (one logit)."""
    return nn.Sequential(dense(fan_in, units), nn.ReLU(), dense(units, 1))


class HardSharing(nn.Module):
    def __init__(self, width, tasks, trunk, tower_units):
        super().__init__()
        layers, fan_in = [], width
        for units in trunk:
            layers += [dense(fan_in, units), nn.ReLU()]
            fan_in = units
        self.trunk = nn.Sequential(*layers)
        self.towers = nn.ModuleList(tower(fan_in, tower_units) for _ in tasks)

    def forward(self, x):
        shared = self.trunk(x)
        return [t(shared).squeeze(1) for t in self.towers]


class MMoE(nn.Module):
    """Experts Linear + ReLU, a softmax gate per task over them, the gate-weighted sum of their outputs, a tower."""

    def __init__(self, width, tasks, experts, expert_units, tower_units):
        super().__init__()
        self.experts = nn.ModuleList(nn.Sequential(dense(width, expert_units), nn.ReLU()) for _ in range(experts))
        self.gates = nn.ModuleList(dense(width, experts) for _ in tasks)
        self.towers = nn.ModuleList(tower(expert_units, tower_units) for _ in tasks)

    def forward(self, x):
        outputs = torch.stack([e(x) for e in self.experts], dim=1)  # [n, experts, units]
        logits = []
        for gate, tower_ in zip(self.gates, self.towers):
            weights = torch.softmax(gate(x), dim=1).unsqueeze(2)  # [n, experts, 1]
            logits.append(tower_((weights * outputs).sum(dim=1)).squeeze(1))
        return logits


def auc(scores, labels):
    """ROC AUC as the Mann-Whitney statistic, tied scores sharing their mean rank (as mtl's rocAuc counts ties half)."""
    positives = labels == 1
    p, n = int(positives.sum()), int((~positives).sum())
    if p == 0 or n == 0:
        return None
    values, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    mean_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based rank, averaged over ties
    ranks = mean_rank[inverse]
    return float((ranks[positives].sum() - p * (p + 1) / 2.0) / (p * n))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--model", choices=["hard", "mmoe"], required=True)
    parser.add_argument("--trunk", default="128,64")
    parser.add_argument("--experts", type=int, default=8)
    parser.add_argument("--expert-units", type=int, default=4)
    parser.add_argument("--tower", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=256)
    add_adam_arguments(parser)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    x_train, y_train = read_split(args.data, "train")
    x_valid, y_valid = read_split(args.data, "valid")
    tasks = list(y_train)
    width = x_train.shape[1]
    if args.model == "hard":
        model = HardSharing(width, tasks, [int(u) for u in args.trunk.split(",")], args.tower)
    else:
        model = MMoE(width, tasks, args.experts, args.expert_units, args.tower)
    optimizer = adam(model.parameters(), args)
    bce = nn.BCEWithLogitsLoss()
    labels_train = torch.stack([y_train[t] for t in tasks], dim=1)
    rows = x_train.shape[0]

    epochs = []
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(rows)
        loss_sum, steps = 0.0, 0
        for start in range(0, rows, args.batch):
            index = order[start:start + args.batch]
            x, y = x_train[index], labels_train[index]
            logits = model(x)
            # mtl's static weighting: the sum of the tasks' mean losses.
            loss = sum(bce(logit, y[:, k]) for k, logit in enumerate(logits))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item()  # read back every step, as mtl's step returns its loss
            steps += 1
        trained = time.perf_counter()

        model.eval()
        with torch.no_grad():
            batches = [model(x_valid[s:s + args.batch]) for s in range(0, x_valid.shape[0], args.batch)]
            scores = {t: torch.sigmoid(torch.cat([b[k] for b in batches])).numpy() for k, t in enumerate(tasks)}
        aucs = {t: auc(scores[t], y_valid[t].numpy()) for t in tasks}
        evaluated = time.perf_counter()
        epochs.append({
            "epoch": epoch,
            "train_seconds": trained - started,
            "eval_seconds": evaluated - trained,
            "train_loss": loss_sum / steps,
            "auc": aucs,
        })

    report({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": {"train": rows, "valid": int(x_valid.shape[0])}, "epochs": epochs})


if __name__ == "__main__":
    main()
