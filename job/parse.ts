/**
 * `parseJob`: the one door a job comes in by, for `mtl train`, `mtl eval` and the runtime API. It checks the format and
 * version, the schema, and what a schema cannot say: that every reference (a dataset, an input, a module and one of its
 * layers, a feature's vocabulary, a task's classes) names something the job has, that names are unique and that the
 * module graph has no cycle. A job that passes can be executed without the runtime second-guessing its structure.
 */
import { JOB_FORMAT, JOB_VERSION, type Job, type SourceRef, type Width } from './job.js';
import { validateJob } from './schema.js';

/** A job that cannot be read; `problems` lists what is wrong, most important first. */
export class JobError extends Error {
  override readonly name = 'JobError';
  constructor(readonly origin: string, readonly problems: string[]) {
    super(`${origin} ${problems.length === 1 ? problems[0] : `is not a valid job:\n  ${problems.join('\n  ')}`}`);
  }
}

const MAX_PROBLEMS = 8;

/** The job in `value`, or a JobError naming `origin` (a file name, or "the job") and what is wrong. */
export function parseJob(value: unknown, origin = 'the job'): Job {
  const header = (value ?? {}) as { format?: unknown; version?: unknown };
  if (typeof value !== 'object' || value === null || header.format !== JOB_FORMAT) {
    throw new JobError(origin, [`is not an mtl job (its "format" is ${JSON.stringify(header.format)}, expected "${JOB_FORMAT}")`]);
  }
  if (header.version !== JOB_VERSION) {
    const older = typeof header.version === 'number' && header.version < JOB_VERSION;
    throw new JobError(origin, [
      `is a version ${JSON.stringify(header.version)} job; this mtl reads version ${JOB_VERSION} jobs` +
        (older ? ': compile the program again with this mtl (`mtl compile PROGRAM.mtl -o job.json`)' : ': it was written by a newer mtl'),
    ]);
  }
  const shape = validateJob(value);
  if (shape.length) throw new JobError(origin, shape.slice(0, MAX_PROBLEMS).map((p) => `does not match the job schema: ${p}`));
  const job = value as Job;
  const problems = referenceProblems(job);
  if (problems.length) throw new JobError(origin, problems.slice(0, MAX_PROBLEMS));
  return job;
}

/** Every dangling reference, duplicate name and module cycle in a job that matches the schema. */
export function referenceProblems(job: Job): string[] {
  const problems: string[] = [];
  const unique = (what: string, names: string[]) => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) problems.push(`has two ${what} named '${n}'`);
      seen.add(n);
    }
    return seen;
  };
  const datasets = unique('datasets', job.datasets.map((d) => d.name));
  const features = unique('features', job.features.map((f) => f.id));
  const inputs = new Map(job.inputs.map((i) => [i.id, i]));
  unique('inputs', job.inputs.map((i) => i.id));
  const modules = new Map(job.modules.map((m) => [m.id, m]));
  unique('modules', job.modules.map((m) => m.id));
  const tasks = unique('tasks', job.tasks.map((t) => t.name));

  const need = (ok: boolean, problem: () => string) => {
    if (!ok) problems.push(problem());
  };
  const width = (w: Width, where: string): void => {
    if (typeof w === 'number') return;
    if ('vocab' in w) need(features.has(w.vocab), () => `${where} is sized by the vocabulary of feature '${w.vocab}', which the job does not have`);
    else if ('suffixes' in w) need(features.has(w.suffixes), () => `${where} is sized by the suffix vocabulary of feature '${w.suffixes}', which the job does not have`);
    else if ('classes' in w) need(tasks.has(w.classes), () => `${where} is sized by the classes of task '${w.classes}', which the job does not have`);
    else w.sum.forEach((part) => width(part, where));
  };
  const source = (ref: SourceRef, where: string): void => {
    if ('input' in ref) return need(inputs.has(ref.input), () => `${where} reads input '${ref.input}', which the job does not have`);
    const module = modules.get(ref.module);
    if (!module) return need(false, () => `${where} reads module '${ref.module}', which the job does not have`);
    need(ref.layer >= 0 && ref.layer < module.layers.length, () => `${where} reads layer ${ref.layer} of module '${ref.module}', which has layers 0 to ${module.layers.length - 1}`);
  };
  const module = (id: string, where: string) => need(modules.has(id), () => `${where} names module '${id}', which the job does not have`);
  const task = (name: string, where: string) => need(tasks.has(name), () => `${where} names task '${name}', which the job does not have`);

  for (const f of job.features) {
    need(datasets.has(f.dataset), () => `feature '${f.id}' reads dataset '${f.dataset}', which the job does not have`);
    f.shape.forEach((w) => width(w, `feature '${f.id}'`));
  }
  for (const i of job.inputs) {
    need(datasets.has(i.dataset), () => `input '${i.id}' reads dataset '${i.dataset}', which the job does not have`);
    for (const f of i.features) need(features.has(f), () => `input '${i.id}' concatenates feature '${f}', which the job does not have`);
    i.shape.forEach((w) => width(w, `input '${i.id}'`));
  }
  for (const m of job.modules) {
    const where = `module '${m.id}'`;
    m.from.forEach((ref) => source(ref, where));
    need(m.from.length > 0 || m.layers[0]?.kind === 'mixture', () => `${where} reads nothing (only a module that starts with a mixture has no source)`);
    need(m.shapes.length === m.layers.length, () => `${where} has ${m.layers.length} layers but ${m.shapes.length} shapes`);
    m.shapes.forEach((s) => s.forEach((w) => width(w, where)));
    m.layers.forEach((layer, index) => {
      if (layer.kind === 'mixture') {
        layer.experts.forEach((e) => module(e, `${where} layer ${index} (mixture)`));
        module(layer.gate, `${where} layer ${index} (mixture)`);
      }
      if (layer.kind === 'embedding') width(layer.vocab, `${where} layer ${index}`);
      if (layer.kind === 'embedding' && layer.subwords) width(layer.subwords.suffixVocab, `${where} layer ${index}`);
    });
    m.tasks.forEach((t) => task(t, where));
    const s = m.sharing;
    switch (s.kind) {
      case 'hard': break;
      case 'cross_stitch':
      case 'soft':
        s.columns.forEach((c) => module(c, `the ${s.kind} sharing of ${where}`));
        need(s.columns.includes(m.id), () => `${where} uses ${s.kind} sharing but is not one of its columns`);
        break;
      case 'adapters': s.tasks.forEach((t) => task(t, `the adapters of ${where}`)); break;
      case 'lora': s.tasks.forEach((t) => task(t, `the lora updates of ${where}`)); break;
      case 'mtan': s.tasks.forEach((t) => task(t, `the mtan attention of ${where}`)); break;
      case 'mmoe':
        s.experts.forEach((e) => module(e, `the mmoe sharing of ${where}`));
        Object.entries(s.gates).forEach(([t, g]) => { task(t, `the mmoe gates of ${where}`); module(g, `the mmoe gates of ${where}`); });
        break;
      case 'cgc':
      case 'ple':
        for (const level of s.kind === 'cgc' ? [s] : s.levels) {
          const of = `the ${s.kind} sharing of ${where}`;
          level.shared.forEach((e) => module(e, of));
          Object.entries(level.experts).forEach(([t, experts]) => { task(t, of); experts.forEach((e) => module(e, of)); });
          Object.entries(level.gates).forEach(([t, g]) => { task(t, of); module(g, of); });
          if ('sharedGate' in level && level.sharedGate !== null) module(level.sharedGate, of);
        }
        break;
    }
  }
  for (const t of job.tasks) {
    const where = `task '${t.name}'`;
    need(datasets.has(t.dataset), () => `${where} reads dataset '${t.dataset}', which the job does not have`);
    const input = inputs.get(t.input);
    need(input !== undefined, () => `${where} reads input '${t.input}', which the job does not have`);
    need(!input || input.dataset === t.dataset, () => `${where} reads dataset '${t.dataset}' but input '${t.input}' comes from '${input?.dataset}'`);
    source(t.from, where);
    width(t.head.units, `the head of ${where}`);
  }
  const grouped = new Set<string>();
  for (const g of job.batchGroups) {
    for (const t of g.tasks) {
      task(t, `batch group '${g.dataset}/${g.input}'`);
      need(!grouped.has(t), () => `task '${t}' is in two batch groups`);
      grouped.add(t);
    }
  }
  for (const t of tasks) need(grouped.has(t), () => `task '${t}' is in no batch group`);
  const training = job.training;
  training.stages.forEach((stage, i) => {
    stage.tasks.forEach((t) => task(t, `training stage ${i + 1}`));
    stage.frozen.forEach((m) => module(m, `training stage ${i + 1} (frozen)`));
  });
  Object.keys(training.taskLr).forEach((t) => task(t, 'taskLr'));
  const selection = training.selection;
  if (selection.kind === 'best' && selection.task !== 'mean') task(selection.task, 'the selection');
  // The Pareto set and a weighted score read one objective per task, on a metric that task reports.
  const objectives = new Map(selection.objectives.map((o) => [o.task, o]));
  for (const o of selection.objectives) {
    task(o.task, 'a selection objective');
    const reported = job.tasks.find((t) => t.name === o.task);
    need(!reported || o.metric === 'loss' || (reported.metrics as string[]).includes(o.metric), () => `the selection objective of task '${o.task}' is '${o.metric}', which the task does not report`);
  }
  need(objectives.size === selection.objectives.length, () => 'the selection objectives name a task twice');
  for (const t of tasks) need(objectives.has(t), () => `task '${t}' has no selection objective`);
  if (selection.kind === 'weighted') {
    for (const [t, w] of Object.entries(selection.weights)) {
      need(objectives.has(t), () => `the selection weights name task '${t}', which has no selection objective`);
      need(w > 0, () => `the selection weight of task '${t}' is ${w}, not above 0`);
    }
    for (const t of objectives.keys()) need(t in selection.weights, () => `task '${t}' has no selection weight`);
  }
  problems.push(...moduleCycles(job));
  return problems;
}

/** A module that reads its own output, through its sources or a mixture's experts and gate. */
function moduleCycles(job: Job): string[] {
  const modules = new Map(job.modules.map((m) => [m.id, m]));
  const reads = (id: string): string[] => {
    const m = modules.get(id);
    if (!m) return [];
    const fromModules = m.from.flatMap((r) => ('module' in r ? [r.module] : []));
    const mixed = m.layers.flatMap((l) => (l.kind === 'mixture' ? [...l.experts, l.gate] : []));
    return [...fromModules, ...mixed];
  };
  const state = new Map<string, 'open' | 'done'>();
  const found: string[] = [];
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'open') {
      found.push(`module '${id}' reads its own output (${[...path.slice(path.indexOf(id)), id].join(' → ')})`);
      return;
    }
    state.set(id, 'open');
    for (const next of reads(id)) visit(next, [...path, id]);
    state.set(id, 'done');
  };
  for (const id of modules.keys()) visit(id, []);
  return found;
}
