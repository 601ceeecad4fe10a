/** The starter program `mtl init` writes: every construct a first program needs, commented. */
export const starterProgram = `// A starter multi-task program. Check it with \`mtl check\`, train it with \`mtl run\`.
// Every default is listed by \`mtl render\`; every constructor by \`mtl stdlib\`.

// Data: Arrow IPC files (convert CSV with \`mtl data import data.csv -o data.arrow\`).
// Paths are relative to this file.
dataset rows {
  files: "data/rows.arrow"              // a glob such as "data/part-*.arrow" reads shards
  columns: { x1: float, x2: float, color: string, label: int, score: float }
  split: ratio(train: 0.8, valid: 0.1, test: 0.1, seed: 0)
}

// Model inputs: transforms fitted on the training split, concatenated in order.
features inputs {
  dataset: rows
  transforms: [standardize(x1, x2), onehot(color)]
}

// A backbone, reusable by name.
backbone trunk = mlp(units: [64, 32], activation: relu)

// Tasks: a target (a column or an expression over columns; null = unlabelled row), a head, a loss, metrics.
task positive {
  features: inputs
  target: label == 1
  head: binary
  metrics: [auc, accuracy]
}

task score {
  features: inputs
  target: score
  head: regression
  weight: 0.5                           // static loss weight
}

// Hard sharing: both tasks train one trunk.
share both = hard(backbone: trunk, tasks: [positive, score])

train {
  optimizer: adam(lr: 0.001)
  batch_size: 256
  epochs: 5
  seed: 0
  select: best(metric: loss)            // keep the weights with the lowest validation loss
}
`;
