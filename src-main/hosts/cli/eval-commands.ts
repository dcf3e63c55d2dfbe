// Evaluation and weights in/out on the command line: `probe` (linear probe and kNN with
// baselines), `export` (weights, embeddings, curated subset) and `import` (a PyTorch checkpoint
// or safetensors file as an encoder).
import { resolve } from 'node:path';
import type { LabelSource, ProbeConfig, ProbeProgress, ProbeRun, RunSummary, WeightsFormat } from '../../api/contract';
import { cancellableJob, EXIT_CANCELLED, PROGRAM, UsageError, type Command, type CommandContext, type OptionValues } from './command';
import { formatBytes, table } from './format';
import { choice, intFlag, numFlag, str } from './flags';

const FORMATS: readonly WeightsFormat[] = ['safetensors', 'tfjs', 'onnx'];

/** 'folder' (the image's own folder), 'folder:<level>' or 'tags'. */
export function parseLabels(command: string, raw: string | undefined): LabelSource {
  if (raw === undefined || raw === 'folder') return { kind: 'folder', level: -1 };
  if (raw === 'tags' || raw === 'tag') return { kind: 'tag' };
  const m = /^folder:(-?\d+)$/.exec(raw);
  if (m) return { kind: 'folder', level: Number(m[1]) };
  throw new UsageError(
    `${command}: --labels: expected folder, folder:<level> (0 = first folder under the library folder, -1 = the image's own) or tags, got ${JSON.stringify(raw)}`,
    command,
  );
}

function folderIdsFlag(command: string, values: OptionValues): number[] {
  const raw = str(values, 'folder');
  if (raw === undefined) return [];
  return raw.split(',').map((s) => {
    if (!/^[1-9]\d*$/.test(s.trim()))
      throw new UsageError(`${command}: --folder: expected folder ids like 1,3, got ${JSON.stringify(raw)}`, command);
    return Number(s);
  });
}

async function pickRun(ctx: CommandContext, command: string, arg: string | undefined): Promise<RunSummary> {
  const runs = await ctx.api.listRuns();
  if (arg !== undefined) {
    if (!/^[1-9]\d*$/.test(arg))
      throw new UsageError(`${command}: expected a run id (see '${PROGRAM} runs'), got ${JSON.stringify(arg)}`, command);
    const run = runs.find((r) => r.id === Number(arg));
    if (!run) throw new UsageError(`${command}: expected a run id (see '${PROGRAM} runs'), got ${arg}, which is not a run`, command);
    return run;
  }
  const run = runs.find((r) => r.status !== 'running' && (r.step > 0 || r.status === 'imported'));
  if (!run) throw new UsageError(`${command}: expected a trained or imported run, got none (train one with '${PROGRAM} train')`, command);
  return run;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function printProbe(ctx: CommandContext, probe: ProbeRun): void {
  ctx.print(
    `Probe ${probe.id} of ${probe.runName}: ${probe.status}, ${probe.classes.length} classes (${probe.classes.map((c) => `${c.name} ${c.train}/${c.test}`).join(', ')})`,
  );
  if (probe.leftOut.length) ctx.print(`Left out (too few images): ${probe.leftOut.map((c) => `${c.name} (${c.count})`).join(', ')}`);
  ctx.print(
    table([
      ['MODEL', 'METHOD', 'TOP-1', 'TOP-5'],
      ...probe.results.map((r) => [r.model, r.method, pct(r.metrics.top1), pct(r.metrics.top5)]),
    ]),
  );
  const main = probe.results.find((r) => r.model === 'pretrained' && r.method === 'linear');
  if (main) {
    ctx.print('');
    ctx.print(
      table([
        ['CLASS', 'PRECISION', 'RECALL', 'F1', 'SUPPORT'],
        ...main.metrics.perClass.map((c) => [c.name, pct(c.precision), pct(c.recall), pct(c.f1), String(c.support)]),
      ]),
    );
  }
  if (probe.error) ctx.print(`Error: ${probe.error}`);
}

const probe: Command = {
  name: 'probe',
  args: '[runId]',
  summary: 'evaluate an encoder: linear probe and kNN on frozen features, with baselines',
  description: [
    'The linear classification protocol of the MoCo paper on frozen pooled features (SGD, lr 30, no weight',
    'decay, lr x0.1 at 60% and 80% of the epochs; features standardised on the train split, as lr 30 needs)',
    'and a weighted kNN classifier (k 200, T 0.1), each on the',
    "run's encoder, the same architecture at a random initialisation, and raw pixels. Labels come from",
    'folder names or tags; the split is stratified and seeded. Ctrl-C cancels.',
  ].join('\n'),
  options: {
    labels: { type: 'string', value: '<source>', help: "folder (the image's own folder, default), folder:<level>, or tags" },
    'test-fraction': { type: 'string', value: '<x>', help: 'share of each class held out for testing (default 0.2)' },
    'min-per-class': { type: 'string', value: '<n>', help: 'classes with fewer images are left out (default 5)' },
    seed: { type: 'string', value: '<n>', help: 'seed of the split and the probe (default 0)' },
    epochs: { type: 'string', value: '<n>', help: 'linear probe epochs (default 100)' },
    lr: { type: 'string', value: '<x>', help: 'linear probe learning rate (default 30)' },
    'batch-size': { type: 'string', value: '<n>', help: 'linear probe batch (default 256)' },
    'raw-features': {
      type: 'boolean',
      help: 'linear probe on features as they are (default: standardised on the train split, which lr 30 needs)',
    },
    'knn-k': { type: 'string', value: '<n>', help: 'neighbours of the kNN classifier (default 200)' },
    'knn-t': { type: 'string', value: '<x>', help: 'temperature of the kNN weights (default 0.1)' },
    'no-baselines': { type: 'boolean', help: 'skip the random-init and raw-pixel baselines' },
    folder: { type: 'string', value: '<id,...>', help: 'only images of these folder ids' },
  },
  minArgs: 0,
  maxArgs: 1,
  async run(ctx, [runArg], values) {
    const run = await pickRun(ctx, 'probe', runArg);
    const baselines = values['no-baselines'] !== true;
    const config: ProbeConfig = {
      runId: run.id,
      labels: parseLabels('probe', str(values, 'labels')),
      testFraction: numFlag('probe', values, 'test-fraction', 0.05, 0.95) ?? 0.2,
      minPerClass: intFlag('probe', values, 'min-per-class', 100_000) ?? 5,
      seed: numFlag('probe', values, 'seed', 0, 2 ** 31 - 1) ?? 0,
      inputSize: null,
      linear: {
        epochs: intFlag('probe', values, 'epochs', 10_000) ?? 100,
        lr: numFlag('probe', values, 'lr', 1e-8, 1000) ?? 30,
        momentum: 0.9,
        weightDecay: 0,
        batchSize: intFlag('probe', values, 'batch-size', 65_536) ?? 256,
        lrSteps: [0.6, 0.8],
        standardize: values['raw-features'] !== true,
      },
      knn: { k: intFlag('probe', values, 'knn-k', 10_000) ?? 200, T: numFlag('probe', values, 'knn-t', 1e-4, 10) ?? 0.1 },
      baselines: { randomInit: baselines, rawPixels: baselines },
      folderIds: folderIdsFlag('probe', values),
    };
    let last = 0;
    const offProgress = ctx.studio.on('probe.progress', (p: ProbeProgress) => {
      if (ctx.json) return void ctx.io.stderr.write(`${JSON.stringify({ event: 'probe.progress', ...p })}\n`);
      if (Date.now() - last < (ctx.io.stderr.isTTY ? 200 : 5000) && p.phase !== 'done') return;
      last = Date.now();
      const what =
        p.phase === 'features'
          ? `features ${p.done}/${p.total}`
          : p.phase === 'linear'
            ? `${p.model} linear probe epoch ${p.done}/${p.total}${p.loss !== null ? ` loss ${p.loss.toFixed(3)}` : ''}`
            : `${p.model ?? ''} ${p.phase}`;
      ctx.io.stderr.write(ctx.io.stderr.isTTY ? `\rProbe: ${what}\x1b[K` : `Probe: ${what}\n`);
    });
    return cancellableJob(ctx, {
      start: () => ctx.api.startProbe(config),
      wait: () => ctx.studio.waitForProbe(),
      list: () => ctx.api.listProbes(),
      cancelling: '\nCancelling the probe...',
      cancel: () => ctx.api.cancelProbe(),
      offProgress,
      show: (done: ProbeRun) => printProbe(ctx, done),
      exitCode: (done: ProbeRun) => (done.status === 'cancelled' ? EXIT_CANCELLED : done.status === 'done' ? 0 : 1),
    });
  },
};

const exportCommand: Command = {
  name: 'export',
  args: '<weights|embeddings|subset> [id]',
  summary: 'export encoder weights, embeddings (.npy), or the curated library for PyTorch',
  description: [
    `  ${PROGRAM} export weights [runId] --format safetensors|tfjs|onnx --out <folder>`,
    `  ${PROGRAM} export embeddings [setId] --space features|embedding --out <folder>`,
    `  ${PROGRAM} export subset --labels folder --layout tree|list --mode copy|symlink --out <folder>`,
    '',
    'Files go into a new folder inside --out. Excluded images are left out of embeddings and subsets.',
    'The subset (an ImageFolder tree) is what the official PyTorch MoCo training reads; the command',
    'prints the command lines for one machine and for several.',
  ].join('\n'),
  options: {
    out: { type: 'string', value: '<folder>', help: 'an existing folder to write into (default: the current folder)' },
    format: { type: 'string', value: '<name>', help: `weights: ${FORMATS.join(' | ')} (default safetensors)` },
    space: { type: 'string', value: '<name>', help: 'embeddings: features (pooled backbone, default) | embedding (128-d head)' },
    labels: { type: 'string', value: '<source>', help: 'subset: folder, folder:<level> or tags' },
    layout: { type: 'string', value: '<kind>', help: 'subset: tree (a folder per label, default) | list (CSV of path,label)' },
    mode: { type: 'string', value: '<kind>', help: 'subset tree: copy (default) | symlink' },
    folder: { type: 'string', value: '<id,...>', help: 'subset: only images of these folder ids' },
  },
  minArgs: 1,
  maxArgs: 2,
  readOnly: true,
  async run(ctx, [what, id], values) {
    const dir = resolve(str(values, 'out') ?? '.');
    let result;
    if (what === 'weights') {
      const run = await pickRun(ctx, 'export', id);
      result = await ctx.api.exportWeights({ runId: run.id, format: choice('export', values, 'format', FORMATS) ?? 'safetensors', dir });
    } else if (what === 'embeddings') {
      const sets = await ctx.api.listEmbeddings();
      const set = id !== undefined ? sets.find((s) => String(s.id) === id) : sets.find((s) => s.count > 0);
      if (!set)
        throw new UsageError(
          `export: expected an embedding set (see '${PROGRAM} embeddings'), got ${id === undefined ? 'none' : JSON.stringify(id)}`,
          'export',
        );
      result = await ctx.api.exportEmbeddings({
        setId: set.id,
        space: choice('export', values, 'space', ['features', 'embedding'] as const) ?? 'features',
        dir,
      });
    } else if (what === 'subset') {
      if (id !== undefined) throw new UsageError(`export: expected no id after subset, got ${JSON.stringify(id)}`, 'export');
      result = await ctx.api.exportSubset({
        labels: parseLabels('export', str(values, 'labels')),
        layout: choice('export', values, 'layout', ['tree', 'list'] as const) ?? 'tree',
        mode: choice('export', values, 'mode', ['copy', 'symlink'] as const) ?? 'copy',
        dir,
        folderIds: folderIdsFlag('export', values),
      });
    } else {
      throw new UsageError(`export: expected weights, embeddings or subset, got ${JSON.stringify(what)}`, 'export');
    }
    if (ctx.json) {
      ctx.emit(result);
      return 0;
    }
    const total = result.files.reduce((n, f) => n + f.bytes, 0);
    ctx.print(`Wrote ${result.files.length} file${result.files.length === 1 ? '' : 's'} (${formatBytes(total)}) to ${result.dir}`);
    if (result.files.length <= 12) for (const f of result.files) ctx.print(`  ${f.path}  ${formatBytes(f.bytes)}`);
    ctx.print('');
    ctx.print(result.notes);
    return 0;
  },
};

const importCommand: Command = {
  name: 'import',
  args: '<file>',
  summary: 'import encoder weights: an official MoCo checkpoint (.pth.tar) or a safetensors file',
  description: 'The encoder becomes an imported run: embed it, probe it or export it like a trained one.',
  options: {
    'input-size': { type: 'string', value: '<px>', help: 'resolution the encoder expects (default 224, or 32 for the small stem)' },
    name: { type: 'string', value: '<text>', help: 'a name for the imported run' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [file], values) {
    const inputSize = intFlag('import', values, 'input-size', 1024);
    const name = str(values, 'name');
    const result = await ctx.api.importWeights(resolve(file), { ...(inputSize ? { inputSize } : {}), ...(name ? { name } : {}) });
    if (ctx.json) ctx.emit(result);
    else {
      ctx.print(`Imported as run ${result.run.id}: ${result.run.name}`);
      ctx.print(result.report);
    }
    return 0;
  },
};

export const EVAL_COMMANDS: readonly Command[] = [probe, exportCommand, importCommand];
