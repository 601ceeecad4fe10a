#!/usr/bin/env node
/**
 * The `mtl` command line. Exit codes: 0 ok, 1 program or data errors, 2 usage errors, 70 an internal error (a bug in mtl).
 *
 * Lazy imports: this file imports, at its top, only commander, node's own modules, `./output.js` and types. Each
 * command loads what it uses with `await import(...)` inside its action, so `mtl --help` loads no compiler, and
 * `mtl check` loads the parser and checker but not the IR, the job schema (TypeBox, ajv) or TensorFlow.js
 * (test/package/package.test.ts checks both). A module a command needs goes in its action, not up here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Compilation, CompileOptions } from '../compiler/compile.js';
import { reportDiagnostics, renderTimings, checkSummary, fail, failInternal, exitQuietlyOnClosedPipe, EXIT_OK, EXIT_PROGRAM_ERROR, EXIT_USAGE, EXIT_NOT_ACCEPTED, type Format } from './output.js';
import type { DerivedJob } from '../compiler/derive/derive.js';
import type { VariantSpec } from '../compiler/derive/variants.js';
import { optimizationNames, parseNoOpt } from '../shared/optimizations.js';

const program = new Command();
program.name('mtl').description('a declarative language for multi-task learning: check, compile and run .mtl programs').version('0.1.0');
program.exitOverride();
program.configureOutput({ outputError: (text, write) => write(text) });

const allowUnrunnableOption = () => new Option('--allow-unrunnable', 'accept constructors the runtime does not run yet (those errors become warnings; `mtl run` still refuses them)');

const rootOption = () => new Option('--root <dir>', 'read no file outside this directory (imports, data files; symlinks and .. resolved): for compiling programs you did not write')
  .argParser((dir: string) => {
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidArgumentError(`${dir} is not a directory`);
    return dir;
  });

const ablateOption = () => new Option('--ablate <variants>', 'derive variants from the program: single (each task alone), private (nothing shared), shared (as written), scarcity (one task\'s training labels cut: scarcity=0.5,0.25,0.1, scarcity:TASK=0.5); comma-separated');

/** The variants `--ablate` asks for (with `single` and `shared` added when `withBaselines`), derived; a usage error otherwise. */
async function derivedOrExit(c: Compilation, file: string, text: string | undefined, withBaselines: boolean, noOpt: readonly string[]): Promise<DerivedJob[]> {
  const { parseAblation } = await import('../compiler/derive/variants.js');
  const { deriveFromCompilation } = await import('../compiler/derive/derive.js');
  const parsed = text === undefined ? { specs: [] as VariantSpec[] } : parseAblation(text);
  if ('error' in parsed) fail(parsed.error, EXIT_USAGE);
  const specs = [...parsed.specs];
  for (const kind of ['shared', 'single'] as const) if (withBaselines && !specs.some((s) => s.kind === kind)) specs.unshift({ kind });
  const { jobs, problems } = deriveFromCompilation(c, file, specs, noOpt);
  if (problems.length) fail(problems.join('\n'), EXIT_USAGE);
  return jobs;
}

const noOptOption = () => new Option('--no-opt <names>', `leave out these optimizations, for comparison (comma-separated; docs/performance.md): ${optimizationNames().join(', ')}; each is exact, so only the speed changes`);

/** The names `--no-opt` gives (commander's `true` when it is absent), checked; a usage error names an unknown one and the known ones. */
function noOptNames(value: string | true): string[] {
  if (value === true) return [];
  const parsed = parseNoOpt(value);
  if ('unknown' in parsed) fail(`option '--no-opt <names>': there is no optimization '${parsed.unknown}'; the optimizations are ${optimizationNames().join(', ')}`, EXIT_USAGE);
  return parsed.names;
}

const formatOption = () => new Option('--format <format>', 'diagnostics as text (code frames) or json').choices(['text', 'json']).default('text');

async function compileOrExit(file: string, format: Format, options: CompileOptions = {}, until: 'check' | 'job' = 'job'): Promise<Compilation> {
  if (!fs.existsSync(file)) fail(`cannot read ${file}: no such file`, EXIT_PROGRAM_ERROR);
  const { compileProgram } = await import('../compiler/compile.js');
  const c = compileProgram({ file }, options, until);
  if (c.internalError) failInternal(c.internalError, file);
  if (options.timePhases) process.stderr.write(renderTimings(c.timings));
  const code = reportDiagnostics(c.diagnostics, c.loaded.sources, format);
  if (code !== EXIT_OK) process.exit(code);
  return c;
}

/** To stdout, or to `out` atomically (written beside it, then renamed over it), with `mode` if given. */
function writeOut(text: string, out: string | undefined, mode?: number): void {
  if (!out) {
    process.stdout.write(text);
    return;
  }
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const partial = `${out}.partial-${process.pid}`;
  fs.writeFileSync(partial, text, mode === undefined ? {} : { mode });
  fs.renameSync(partial, out);
}

program.command('check')
  .description('check a program and report every problem at once')
  .argument('<file>', 'the .mtl program')
  .addOption(formatOption())
  .option('--max-errors <n>', 'stop reporting after this many errors', (v) => Number.parseInt(v, 10), 50)
  .option('--time-phases', 'print how long parsing and checking took (to standard error)')
  .addOption(allowUnrunnableOption())
  .addOption(rootOption())
  .action(async (file: string, opts: { format: Format; maxErrors: number; timePhases?: boolean; allowUnrunnable?: boolean; root?: string }) => {
    const c = await compileOrExit(file, opts.format, { maxErrors: opts.maxErrors, timePhases: opts.timePhases, allowUnrunnable: opts.allowUnrunnable, root: opts.root }, 'check');
    const tasks = c.checked?.tasks.size ?? 0;
    if (opts.format === 'text') process.stderr.write(checkSummary(file, tasks));
  });

program.command('compile')
  .description('compile a program to a job (or show an intermediate form)')
  .argument('<file>', 'the .mtl program')
  .option('-o, --out <path>', 'write here instead of standard output')
  .addOption(new Option('--emit <form>', 'what to write').choices(['ast', 'ir', 'job', 'dot']).default('job'))
  .option('--dump-after <pass>', 'write the IR as it is after this pass (a pass --time-phases lists)')
  .option('--verify-ir', 'check the IR invariants after every pass')
  .option('--time-phases', 'print how long each phase and pass took (to standard error)')
  .addOption(allowUnrunnableOption())
  .addOption(formatOption())
  .addOption(ablateOption())
  .addOption(rootOption())
  .addOption(noOptOption())
  .action(async (file: string, opts: { out?: string; emit: string; dumpAfter?: string; verifyIr?: boolean; timePhases?: boolean; allowUnrunnable?: boolean; format: Format; ablate?: string; root?: string; opt: string | true }) => {
    if (opts.ablate !== undefined && (!opts.out || opts.emit !== 'job' || opts.dumpAfter)) fail('--ablate writes one job per variant: give a directory with -o, and no --emit or --dump-after', EXIT_USAGE);
    // Checked here rather than by commander's `choices`, which would load the pipeline for every `mtl --help`.
    const { passNames } = await import('../compiler/ir/pipeline.js');
    if (opts.dumpAfter !== undefined && !passNames().includes(opts.dumpAfter)) {
      fail(`option '--dump-after <pass>' argument '${opts.dumpAfter}' is invalid. Allowed choices are ${passNames().join(', ')}.`, EXIT_USAGE);
    }
    const noOpt = noOptNames(opts.opt);
    const c = await compileOrExit(file, opts.format, {
      dumpAfter: opts.dumpAfter, verifyIr: opts.verifyIr, timePhases: opts.timePhases, allowUnrunnable: opts.allowUnrunnable, root: opts.root, noOpt,
    });
    if (opts.ablate !== undefined) return writeDerivedJobs(await derivedOrExit(c, file, opts.ablate, false, noOpt), opts.out!);
    const { toJson } = await import('../compiler/ir/graph.js');
    const { toDot } = await import('../compiler/render/to-dot.js');
    if (opts.dumpAfter) return writeOut(JSON.stringify(toJson(c.dumped!), null, 2) + '\n', opts.out);
    switch (opts.emit) {
      case 'ast': return writeOut(JSON.stringify(c.loaded.files, null, 2) + '\n', opts.out);
      case 'ir': return writeOut(JSON.stringify(toJson(c.graph!), null, 2) + '\n', opts.out);
      case 'dot': return writeOut(toDot(c.graph!, path.basename(file)), opts.out);
      default: return writeOut(JSON.stringify(c.job, null, 2) + '\n', opts.out);
    }
  });

/** `mtl compile --ablate … -o DIR`: DIR/<variant>.json per derived job, and what each variant changed. */
function writeDerivedJobs(jobs: DerivedJob[], dir: string): void {
  for (const derived of jobs) {
    writeOut(JSON.stringify(derived.job, null, 2) + '\n', path.join(dir, `${derived.name}.json`));
    for (const note of derived.notes) process.stderr.write(`note: ${derived.name}: ${note}\n`);
  }
  process.stderr.write(`wrote ${jobs.length} job${jobs.length === 1 ? '' : 's'} to ${dir}: ${jobs.map((j) => `${j.name}.json`).join(', ')}\n`);
}

program.command('graph')
  .description('draw the compiled graph: Graphviz DOT, and an SVG beside it when `dot` is installed')
  .argument('<file>', 'the .mtl program')
  .option('-o, --out <path>', 'write the DOT here (default: standard output)')
  .addOption(formatOption())
  .addOption(allowUnrunnableOption())
  .action(async (file: string, opts: { out?: string; format: Format; allowUnrunnable?: boolean }) => {
    const c = await compileOrExit(file, opts.format, { allowUnrunnable: opts.allowUnrunnable });
    const { toDot } = await import('../compiler/render/to-dot.js');
    const dot = toDot(c.graph!, path.basename(file));
    writeOut(dot, opts.out);
    if (!opts.out) return;
    const svg = opts.out.replace(/\.dot$/, '') + '.svg';
    const { dotToSvg } = await import('../runtime/report/graphviz.js');
    const drawn = dotToSvg(dot);
    if ('missing' in drawn) process.stderr.write(`wrote ${opts.out}; install Graphviz (apt-get install graphviz) to get an SVG too\n`);
    else if ('failed' in drawn) fail(`dot failed: ${drawn.failed}`);
    else {
      writeOut(drawn.svg, svg);
      process.stderr.write(`wrote ${opts.out} and ${svg}\n`);
    }
  });

program.command('render')
  .description('print the program with every default written out')
  .argument('<file>', 'the .mtl program')
  .addOption(formatOption())
  .addOption(allowUnrunnableOption())
  .action(async (file: string, opts: { format: Format; allowUnrunnable?: boolean }) => {
    const c = await compileOrExit(file, opts.format, { allowUnrunnable: opts.allowUnrunnable }, 'check');
    const { renderProgram } = await import('../compiler/render/render-program.js');
    process.stdout.write(renderProgram(c.checked!));
  });

program.command('fmt')
  .description('rewrite programs in the canonical layout (in place); with --check, list those that are not and exit 1')
  .argument('<files...>', '.mtl programs')
  .option('--check', 'change nothing: list the files that would change, and exit 1 if there are any')
  .action(async (files: string[], opts: { check?: boolean }) => {
    const { format } = await import('../compiler/format/format.js');
    const { SourceFile } = await import('../compiler/diagnostics/source.js');
    let code = EXIT_OK;
    for (const file of files) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        process.stderr.write(`error: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
        code = EXIT_PROGRAM_ERROR;
        continue;
      }
      const formatted = format(text, { file });
      if (formatted.value === null) {
        reportDiagnostics(formatted.diagnostics, new Map([[file, new SourceFile(file, text)]]), 'text');
        code = EXIT_PROGRAM_ERROR;
      } else if (formatted.value !== text) {
        if (opts.check) {
          process.stdout.write(`${file}\n`);
          code = EXIT_PROGRAM_ERROR;
        } else {
          // Through a symlink to the file it names, which keeps its mode.
          const target = fs.realpathSync(file);
          writeOut(formatted.value, target, fs.statSync(target).mode);
          process.stderr.write(`formatted ${file}\n`);
        }
      }
    }
    process.exit(code);
  });

program.command('stdlib')
  .description('list the standard library: declarations, constructors, their parameters and defaults')
  .addOption(formatOption())
  .action(async (opts: { format: Format }) => {
    const { stdlibListing, stdlibJson } = await import('../compiler/render/stdlib-listing.js');
    process.stdout.write(opts.format === 'json' ? JSON.stringify(stdlibJson(), null, 2) + '\n' : stdlibListing());
  });

program.command('init')
  .description('write a commented starter program')
  .argument('[file]', 'where to write it', 'model.mtl')
  .action(async (file: string) => {
    if (fs.existsSync(file)) fail(`${file} already exists; choose another name`);
    const { starterProgram } = await import('./init-template.js');
    writeOut(starterProgram, file);
    process.stderr.write(`wrote ${file}: edit the dataset path and columns, then \`mtl check ${file}\`\n`);
  });

program.command('lsp')
  .description('the language server for editors (Language Server Protocol over standard input and output)')
  .option('--stdio', 'talk over standard input and output (the default and only transport; editors pass it)')
  .action(async () => {
    const { startServer } = await import('../lsp/server.js');
    startServer();
  });

// ---------------------------------------------------------------- runtime commands (load TensorFlow.js on demand)

function defaultRunDir(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return path.join('runs', `${name}-${stamp}`);
}

interface RunFlags { out?: string; backend?: string; progress: boolean; checkpointEvery?: number; keepCheckpoints?: number; resume?: string; from?: string; unfreeze?: string; opt: string | true }

/**
 * Ctrl-C asks training to stop at the next step boundary, write a checkpoint and say how to resume; a second Ctrl-C
 * exits at once (the last checkpoint written stays usable: checkpoints are written atomically).
 */
function interruptible(): AbortSignal {
  const controller = new AbortController();
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after this step to write a checkpoint (Ctrl-C again to quit at once)\n');
    controller.abort();
  });
  return controller.signal;
}

/** `graph`: the program's DOT, kept in the run directory for `mtl report` (a job file alone has none). */
async function runCompiledJob(job: import('../job/job.js').Job | null, name: string, opts: RunFlags, graph?: string): Promise<void> {
  const { runJob, resumeRun } = await import('../runtime/run.js');
  const out = opts.resume ?? opts.out ?? defaultRunDir(name);
  const written: { bytes: number; seconds: number }[] = [];
  const common = {
    backend: opts.backend, progress: opts.progress, signal: interruptible(), checkpointEvery: opts.checkpointEvery, keepCheckpoints: opts.keepCheckpoints,
    onCheckpoint: (w: { bytes: number; seconds: number }) => written.push(w), noOpt: noOptNames(opts.opt),
  };
  const from = opts.from === undefined ? {} : { from: { run: opts.from, unfreeze: (opts.unfreeze ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '') } };
  const summary = job ? await runJob(job, { out, ...common, ...from, ...(graph === undefined ? {} : { graph }) }) : await resumeRun(out, common);
  const { readJobFile } = await import('./job-file.js');
  const { onRepresentation } = await import('../job/job.js');
  const ran = job ?? readJobFile(path.join(out.replace(/\.partial\/?$/, ''), 'job.json'));
  if (summary.valid) {
    process.stdout.write(`validation metrics (best epoch ${summary.bestEpoch ?? '-'}):\n`);
    for (const [task, scores] of Object.entries(summary.valid)) {
      process.stdout.write(`  ${task.padEnd(20)} ${Object.entries(scores).map(([k, v]) => `${k} ${v === null ? '-' : (v as number).toFixed(4)}`).join('  ')}\n`);
    }
  }
  if (summary.paretoEpochs.length > 0) {
    const { objectives } = summary.selection;
    const axes = objectives.map((o) => `${o.task} ${o.metric} ${o.mode === 'max' ? '↑' : '↓'}`).join(', ');
    process.stdout.write(`pareto epochs (no other epoch as good on every task and better on one; valid ${axes}):\n`);
    for (const p of summary.paretoEpochs) {
      const values = objectives.map((o) => `${o.task} ${p.values[o.task]!.toFixed(4)}`).join('  ');
      process.stdout.write(`  epoch ${String(p.epoch).padEnd(4)} ${values}${p.epoch === summary.bestEpoch ? '  (selected)' : ''}\n`);
    }
  }
  if (summary.conflicts.length > 0) {
    const of = onRepresentation(ran.training.aggregation) ? 'representation' : 'parameters';
    process.stdout.write(`gradient conflicts (cosine on the shared ${of}, sampled steps):\n`);
    const pairs = summary.conflicts.map((c) => `${c.tasks[0]} × ${c.tasks[1]}`);
    const width = Math.max(20, ...pairs.map((p) => p.length));
    for (const [i, c] of summary.conflicts.entries()) {
      process.stdout.write(`  ${pairs[i]!.padEnd(width)} mean ${c.meanCosine.toFixed(4)}  negative ${(100 * c.negativeShare).toFixed(0)}% of ${c.samples} steps\n`);
    }
  }
  if (summary.taskWeights) {
    const { epoch, weights, learned } = summary.taskWeights;
    process.stdout.write(`task weights (${ran.training.weighting.kind}, after epoch ${epoch}):\n`);
    for (const [task, w] of Object.entries(weights)) {
      const more = Object.entries(learned).map(([name, values]) => `  ${name} ${values[task]?.toFixed(4) ?? '-'}`).join('');
      process.stdout.write(`  ${task.padEnd(20)} ${w.toFixed(4)}${more}\n`);
    }
  }
  if (summary.experts.length > 0) {
    const { gateLines } = await import('../runtime/train/experts.js');
    process.stdout.write(`expert gates (validation split, saved weights):\n${gateLines(summary.experts).map((l) => `  ${l}\n`).join('')}`);
  }
  if (written.length > 0) {
    const mean = (f: (w: { bytes: number; seconds: number }) => number) => written.reduce((sum, w) => sum + f(w), 0) / written.length;
    process.stdout.write(`checkpoints: ${written.length} written, ${(mean((w) => w.bytes) / 1e6).toFixed(2)} MB and ${(1000 * mean((w) => w.seconds)).toFixed(0)} ms each on average\n`);
  }
  process.stdout.write(`run directory: ${out.replace(/\.partial\/?$/, '')}\n`);
}

const positive = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} is a whole number of at least 1, not ${value}`);
  return n;
};

const runOptions = (command: Command) => command
  .option('--out <dir>', 'the run directory (default: runs/<name>-<time>)')
  .option('--backend <name>', 'tensorflow (tfjs-node-gpu), node (tfjs-node), wasm or cpu; default: the fastest that loads (on --resume: the run\'s)')
  .option('--checkpoint-every <steps>', 'write a checkpoint every this many steps (default 1000; each epoch\'s end writes one too)', positive('--checkpoint-every'))
  .option('--keep-checkpoints <n>', 'keep the newest n checkpoints, and the best epoch\'s (default 2)', positive('--keep-checkpoints'))
  .option('--no-progress', 'no progress bar')
  .addOption(noOptOption());

runOptions(program.command('run')
  .description('compile a program and train it (with --ablate: its derived variants, into one experiment directory, and a table); or continue an interrupted run (--resume)')
  .argument('[file]', 'the .mtl program (not with --resume)')
  .option('--resume <run>', 'continue the interrupted run written to this directory (its --out) from its last checkpoint')
  .option('--from <run>', "start from a finished run's weights: load every parameter with its name, train only the rest (a new task's head, adapters, LoRA)")
  .option('--unfreeze <names>', 'with --from: loaded parameters that train anyway, by name or prefix (comma-separated, e.g. shared_trunk,head/income)'))
  .addOption(ablateOption())
  .option('--require-acceptance', `exit ${EXIT_NOT_ACCEPTED} when a task fails the program's acceptance policy (runs the variants single and shared)`)
  .action(async (file: string | undefined, opts: RunFlags & { ablate?: string; requireAcceptance?: boolean }) => {
    if (opts.resume !== undefined) {
      if (file !== undefined || opts.out !== undefined || opts.ablate !== undefined || opts.requireAcceptance || opts.from !== undefined) {
        fail('--resume continues a run with its own job and directory: give no program, --out, --from, --ablate or --require-acceptance', EXIT_USAGE);
      }
      return runCompiledJob(null, '', opts);
    }
    if (file === undefined) fail('give the program to run, or --resume RUN_DIR', EXIT_USAGE);
    if (opts.unfreeze !== undefined && opts.from === undefined) fail('--unfreeze names what --from loaded: give --from RUN_DIR too', EXIT_USAGE);
    if (opts.from !== undefined && (opts.ablate !== undefined || opts.requireAcceptance)) fail('--from starts one run from another: not with --ablate or --require-acceptance', EXIT_USAGE);
    const noOpt = noOptNames(opts.opt);
    const c = await compileOrExit(file, 'text', { noOpt });
    const job = c.job!;
    const name = path.basename(file, '.mtl');
    if (opts.requireAcceptance && !job.training.accept) fail(`${file} declares no acceptance policy; add one to its train block, e.g. \`accept: no_regression(max_drop: 0.01)\``, EXIT_USAGE);
    if (opts.ablate === undefined && !opts.requireAcceptance) {
      const { toDot } = await import('../compiler/render/to-dot.js');
      await runCompiledJob(job, name, opts, toDot(c.graph!, path.basename(file)));
      if (job.training.accept) process.stdout.write('acceptance: not evaluated (it compares each task with the task trained alone: run with --ablate single,shared or --require-acceptance)\n');
      return;
    }
    const jobs = await derivedOrExit(c, file, opts.ablate, opts.requireAcceptance === true, noOpt);
    const { runExperiment } = await import('./ablate.js');
    const { acceptance } = await runExperiment(file, job, jobs, { out: opts.out ?? defaultRunDir(name), backend: opts.backend, progress: opts.progress, noOpt });
    const failed = (acceptance ?? []).filter((a) => !a.pass).map((a) => a.task);
    if (opts.requireAcceptance && failed.length) {
      process.stderr.write(`error: acceptance failed for ${failed.map((t) => `\`${t}\``).join(', ')}\n`);
      process.exit(EXIT_NOT_ACCEPTED);
    }
  });

runOptions(program.command('train')
  .description('train a compiled job (from `mtl compile -o job.json`)')
  .argument('<job>', 'the job file'))
  .action(async (file: string, opts: RunFlags) => {
    const { readJobFile } = await import('./job-file.js');
    const job = readJobFile(file);
    await runCompiledJob(job, path.basename(file, '.json'), opts);
  });

program.command('eval')
  .description("evaluate a finished run's weights on a split")
  .argument('<run>', 'the run directory')
  .addOption(new Option('--split <split>', 'which split').choices(['train', 'valid', 'test']).default('test'))
  .option('--backend <name>', 'backend, as for `mtl run`')
  .option('--predictions <file>', "also write the split's predictions to this Arrow file, as `mtl predict` does (its rows in file order)")
  .action(async (runDir: string, opts: { split: 'train' | 'valid' | 'test'; backend?: string; predictions?: string }) => {
    if (!fs.existsSync(path.join(runDir, 'job.json'))) fail(`${runDir} is not a run directory (no job.json in it)`);
    const { evalRun } = await import('../runtime/run.js');
    await evalRun(runDir, opts.split, { backend: opts.backend, ...(opts.predictions ? { predictions: opts.predictions } : {}) });
  });

program.command('export')
  .description('write a finished run as a self-contained, versioned model package (docs/model-package.md)')
  .argument('<run>', 'the run directory')
  .requiredOption('-o, --out <dir>', 'the package directory to write')
  .option('--force', 'replace an existing package there')
  .option('--name <name>', "the package's name (default: the program's)")
  .option('--backend <name>', 'backend for the validation predictions it records, as for `mtl run`')
  .option('--merge-lora', "merge each task's LoRA updates into dense layers of its own (W + alpha/rank · A · B): the package has no LoRA left")
  .action(async (runDir: string, opts: import('./serving.js').ExportFlags) => (await import('./serving.js')).exportCommand(runDir, opts));

program.command('predict')
  .description("predict every row of an Arrow or CSV file with a model package or a run, streamed; writes an Arrow file with a column per task output")
  .argument('<model>', 'a model package (from `mtl export`) or a run directory')
  .argument('<data>', 'an Arrow IPC file, or a CSV file (.csv, .csv.gz) with a header')
  .requiredOption('-o, --out <file>', 'the Arrow file to write')
  .option('--tasks <names>', 'only these tasks (comma-separated); only their heads run')
  .option('--keep <columns>', 'input columns to copy to the output, e.g. an id (comma-separated)')
  .option('--skip-bad', 'write bad rows to OUT.rejected.jsonl with their reason, and go on')
  .option('--batch-size <rows>', "rows per batch (default: the job's batch size)", positive('--batch-size'))
  .option('--backend <name>', 'backend, as for `mtl run`')
  .option('--no-progress', 'no progress count')
  .action(async (model: string, dataFile: string, opts: import('./serving.js').PredictFlags) => (await import('./serving.js')).predictCommand(model, dataFile, opts));

program.command('report')
  .description('one self-contained HTML report over run and experiment directories, side by side; each chart also as an SVG beside it')
  .argument('<dirs...>', 'run directories (from `mtl run`) and experiment directories (from `mtl run --ablate`)')
  .option('-o, --out <file>', 'the HTML file to write', 'report.html')
  .action(async (dirs: string[], opts: { out: string }) => {
    const { writeReport } = await import('../runtime/report/html.js');
    const written = await writeReport(dirs, opts.out);
    process.stderr.write(`wrote ${written.html} (${(written.bytes / 1024).toFixed(0)} KB) and ${written.svgs.length} chart${written.svgs.length === 1 ? '' : 's'} as SVG beside it\n`);
  });

program.command('serve')
  .description('serve model packages (from `mtl export`) over HTTP: predictions, per-task health and drift, Prometheus metrics, versions, a status page')
  .argument('<dirs...>', 'model package directories (several versions of one model may be given)')
  .option('--host <host>', 'the address to listen on (loopback unless told otherwise)', '127.0.0.1')
  .option('--port <n>', 'the port (0: any free one)', '8080')
  .option('--batch-window-ms <ms>', 'how long a request waits for others to share its pass; 0 turns micro-batching off', '2')
  .option('--max-batch-rows <n>', 'a micro-batch runs as soon as it holds this many rows', '512')
  .option('--cache-mb <mb>', "the feature cache's bound (the shared backbone's output per row); 0 turns it off", '64')
  .option('--cache-ttl-s <s>', 'how long a cached row stays valid', '600')
  .option('--no-backbone-once', 'run the backbone once per requested task (for comparison only)')
  .option('--body-limit-kb <kb>', 'the largest request body (413 over it)', '1024')
  .option('--max-request-rows <n>', 'the most rows one request may carry', '1000')
  .option('--drift-threshold <psi>', "a task whose predictions' PSI against validation is over this is unhealthy", '0.25')
  .option('--min-predictions <n>', 'rows a task serves before its drift is judged', '200')
  .option('--backend <name>', 'backend, as for `mtl run`')
  .action(async (dirs: string[], flags: import('../serve/flags.js').ServeFlags) => {
    const [{ serve }, { serveOptions }] = await Promise.all([import('../serve/main.js'), import('../serve/flags.js')]);
    await serve(dirs, serveOptions(flags), (line) => process.stderr.write(`${line}\n`));
  });

const data = program.command('data').description('data utilities');
data.command('import')
  .description('convert a CSV (or .csv.gz) file, or a CoNLL-U treebank (.conllu, one row per sentence), to an Arrow IPC file')
  .argument('<file>', 'the CSV or .conllu file')
  .requiredOption('-o, --out <path>', 'the Arrow file to write')
  .option('--columns <spec>', 'names and/or types: "age:float,education:string,..." (types: float, int, string, bool)')
  .option('--no-header', 'the first line is data; name the columns with --columns')
  .option('--delimiter <text>', 'field separator', ',')
  .option('--null <text...>', 'texts that mean "no value" (default: empty)')
  .option('--trim', 'strip spaces around fields')
  .action(async (file: string, opts: { out: string; columns?: string; header: boolean; delimiter: string; null?: string[]; trim?: boolean }) => {
    if (/\.conllu$/i.test(file)) {
      const { importConllu, conlluSummary } = await import('../runtime/data/conllu-import.js');
      process.stderr.write(`${conlluSummary(await importConllu({ input: file, output: opts.out }))}\n`);
      return;
    }
    const { importCsv, parseColumnSpec } = await import('../runtime/data/csv-import.js');
    const result = await importCsv({
      input: file, output: opts.out, header: opts.header, delimiter: opts.delimiter, trim: opts.trim ?? false,
      ...(opts.columns ? { columns: parseColumnSpec(opts.columns) } : {}), ...(opts.null ? { nullValues: opts.null } : {}),
    });
    process.stderr.write(`wrote ${opts.out}: ${result.rows} rows, ${result.columns.length} columns (${result.columns.map((c) => `${c.name}:${c.type}`).join(', ')})\n`);
  });

async function main(): Promise<void> {
  exitQuietlyOnClosedPipe();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? EXIT_OK : EXIT_USAGE);
    const { isUserError } = await import('../runtime/errors.js');
    if (isUserError(error)) fail(error.message, error.exitCode);
    const { internalError } = await import('../compiler/diagnostics/diagnostic.js');
    failInternal(internalError(error));
  }
}

await main();
