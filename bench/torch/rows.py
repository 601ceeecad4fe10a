"""What census.py and step.py share: PyTorch on one thread, the rows bench/torch/export.ts wrote, and the job's Adam."""
import json
import os
import sys

# Before torch loads: its OpenMP and MKL pools read these once.
for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


def read_split(directory, split):
    """The split's input as a float32 tensor [rows, width] and each task's labels as float32 [rows], by task."""
    with open(os.path.join(directory, "header.json")) as f:
        header = json.load(f)
    files = header["splits"][split]
    rows, width = files["rows"], header["width"]

    def read(name, shape):
        values = np.fromfile(os.path.join(directory, name), dtype="<f4")
        if values.size != int(np.prod(shape)):
            sys.exit(f"{name}: {values.size} floats, expected {'x'.join(map(str, shape))} from {directory}/header.json")
        return torch.from_numpy(values.reshape(shape))

    x = read(files["x"], (rows, width))
    labels = {task: read(name, (rows,)) for task, name in files["labels"].items()}
    return x, labels


def add_adam_arguments(parser):
    """The job's Adam, given by bench/vs-torch.ts (mtl's epsilon is 1e-7 where PyTorch's default is 1e-8)."""
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--beta1", type=float, default=0.9)
    parser.add_argument("--beta2", type=float, default=0.999)
    parser.add_argument("--epsilon", type=float, required=True)


def adam(parameters, args):
    return torch.optim.Adam(parameters, lr=args.lr, betas=(args.beta1, args.beta2), eps=args.epsilon)


def report(result):
    """The one line the TypeScript side reads: JSON on stdout."""
    print(json.dumps(result), flush=True)
