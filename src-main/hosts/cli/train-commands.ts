// MoCo pretraining on the command line: `train` (start or resume a run, with a progress bar
// or JSON lines) and `runs` (the run history).
import type { EngineStatus, RunSummary, TrainConfig, TrainProgress } from '../../api/contract';
import { defaultPresetId, TRAIN_PRESETS } from '../../api/train-presets';
import { listCommand, PROGRAM, UsageError, type Command, type CommandContext, type OptionSpec } from './command';
import { CtrlC } from './ctrl-c';
import { formatDuration, otherProcess, table } from './format';
import { CONFIG_OPTIONS, configFromFlags, DEFAULT_PRESET, parseInteger } from './train-flags';

const EXIT_PAUSED = 130;
const FINAL_STATUSES = new Set(['done', 'paused', 'cancelled', 'failed', 'interrupted']);

const TRAIN_OPTIONS: Record<string, OptionSpec> = {
  preset: {
    type: 'string',
    value: '<id>',
    help: `start from a preset: ${TRAIN_PRESETS.map((p) => p.id).join(', ')} (default ${defaultPresetId(true)} on a GPU engine, else ${DEFAULT_PRESET})`,
  },
  ...CONFIG_OPTIONS,
  resume: { type: 'string', value: '<runId>', help: "continue a paused or interrupted run from its last checkpoint (see 'runs')" },
};

/** One line describing where a run is. */
export function describeTraining(p: TrainProgress, dictionary: TrainConfig['dictionary'] = 'queue'): string {
  if (p.phase === 'preparing' || p.phase === 'caching') return p.message ?? p.phase;
  const parts = [`epoch ${Math.min(p.epoch + 1, p.epochs)}/${p.epochs}`, `step ${p.step}/${p.totalSteps}`];
  if (p.loss !== null) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.accuracy !== null) parts.push(`acc ${(100 * p.accuracy).toFixed(0)}%`);
  if (p.knnAccuracy !== null) parts.push(`kNN ${(100 * p.knnAccuracy).toFixed(1)}%`);
  if (p.queueFill < 1 && dictionary !== 'end-to-end')
    parts.push(`${dictionary === 'memory-bank' ? 'bank seen' : 'queue'} ${(100 * p.queueFill).toFixed(0)}%`);
  if (p.imagesPerSec !== null) parts.push(`${p.imagesPerSec.toFixed(1)} img/s`);
  if (p.phase === 'training' && p.etaSeconds !== null) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  if (p.message) parts.push(p.message);
  if (p.phase !== 'training') parts.push(p.phase);
  return parts.join(' · ');
}

/** Progress on stderr: a redrawn bar on a terminal, a line every few seconds otherwise. */
class TrainReporter {
  private last = 0;
  private drawn = false;
  /** the run's dictionary, once known (a resumed run's comes with its first report) */
  dictionary: TrainConfig['dictionary'] = 'queue';
  constructor(private readonly ctx: CommandContext) {}

  update(p: TrainProgress): void {
    const { stderr } = this.ctx.io;
    const t = Date.now();
    if (this.ctx.json) {
      this.ctx.io.stdout.write(`${JSON.stringify({ event: 'train.progress', ...p })}\n`);
      return;
    }
    if (t - this.last < (stderr.isTTY ? 200 : 5000) && p.phase === 'training') return;
    this.last = t;
    const text = describeTraining(p, this.dictionary);
    if (!stderr.isTTY) {
      stderr.write(`Training: ${text}\n`);
      return;
    }
    const cols = Math.max(40, stderr.columns || 80);
    const width = Math.max(10, Math.min(30, cols - text.length - 12));
    const filled = p.totalSteps > 0 ? Math.round((p.step / p.totalSteps) * width) : 0;
    stderr.write(`\rTraining [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`.slice(0, cols) + '\x1b[K');
    this.drawn = true;
  }

  end(): void {
    if (this.drawn) this.ctx.io.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}

const train: Command = {
  name: 'train',
  args: '',
  summary: 'pretrain a MoCo encoder on the library (or resume a run)',
  description: [
    `A new run starts from a preset (default ${defaultPresetId(true)} on a GPU engine, else ${DEFAULT_PRESET}) changed by the flags given.`,
    'The engine is the fastest that loads (MOCO_BACKEND=webgpu|wasm|... forces one); it is printed first. Progress',
    'goes to stderr as a bar; with --json, stdout gets one JSON object per line: train.progress',
    'events, then {"event":"run", ...} with the run as stored. Ctrl-C pauses at a checkpoint',
    `(exit code ${EXIT_PAUSED}) and prints how to resume; a second Ctrl-C stops at once (the run is`,
    'then resumable from its last checkpoint).',
    '',
    'Presets:',
    ...TRAIN_PRESETS.map((p) => `  ${p.id.padEnd(16)} ${p.label}`),
  ].join('\n'),
  options: TRAIN_OPTIONS,
  minArgs: 0,
  maxArgs: 0,
  async run(ctx, _positionals, values) {
    const resumeRaw = typeof values.resume === 'string' ? values.resume : undefined;
    let config: TrainConfig | null = null;
    if (resumeRaw !== undefined) {
      const given = Object.keys(TRAIN_OPTIONS).filter((k) => k !== 'resume' && values[k] !== undefined);
      if (given.length)
        throw new UsageError(
          `train: expected no other training flags with --resume (a run keeps its config), got --${given.join(', --')}`,
          'train',
        );
    } else {
      config = configFromFlags(values); // wrong flags are refused before the engine starts
    }
    // The user sees what trains and why; a GPU engine starts from a GPU preset unless one is named.
    const engine = await ctx.api.getEngine();
    if (!ctx.json) ctx.note(engineText(engine));
    if (config && values.preset === undefined && engine.gpu) config = configFromFlags(values, defaultPresetId(true));
    const reporter = new TrainReporter(ctx);
    let runId: number | null = null;
    let endResolve: (run: RunSummary) => void = () => undefined;
    const ended = new Promise<RunSummary>((resolve) => (endResolve = resolve));
    const checkEnd = async () => {
      if (runId === null) return;
      const run = (await ctx.api.listRuns()).find((r) => r.id === runId);
      if (run && FINAL_STATUSES.has(run.status)) endResolve(run);
    };
    const offProgress = ctx.studio.on('train.progress', (p) => reporter.update(p));
    const offRuns = ctx.studio.on('runs.changed', (e) => {
      if (e.runId === runId) void checkEnd();
    });
    const ctrlC = new CtrlC(ctx, {
      asking: 'Pausing at a checkpoint (press Ctrl-C again to stop at once)...',
      ask: () => ctx.api.pauseTraining(),
      askFailed: 'Could not pause',
      stopped: '\nStopped without a checkpoint; the run resumes from its last one.',
      exitCode: EXIT_PAUSED,
      before: () => reporter.end(),
    });
    try {
      const started = config ? await ctx.api.startTraining(config) : await ctx.api.resumeTraining(parseInteger('resume', resumeRaw!));
      runId = started.id;
      reporter.dictionary = started.config.dictionary;
      if (!ctx.json) ctx.note(`${config ? 'Training' : 'Resuming'} run ${started.id}: ${started.name}`);
      await checkEnd();
      const run = await ended;
      reporter.end();
      if (ctx.json) {
        ctx.io.stdout.write(`${JSON.stringify({ event: 'run', ...run })}\n`);
      } else {
        const f = run.final;
        const metrics = [
          f.loss !== null ? `loss ${f.loss.toFixed(3)}` : null,
          f.accuracy !== null ? `pretext accuracy ${(100 * f.accuracy).toFixed(1)}%` : null,
          f.knnAccuracy !== null ? `kNN accuracy ${(100 * f.knnAccuracy).toFixed(1)}%` : null,
        ].filter(Boolean);
        ctx.print(`Run ${run.id} ${run.status} at step ${run.step}/${run.totalSteps}${metrics.length ? `: ${metrics.join(', ')}` : ''}.`);
        if (run.error) ctx.print(`Error: ${run.error}`);
      }
      if (run.status === 'paused') {
        ctx.note(
          `Paused. Resume with: ${PROGRAM} train --resume ${run.id}${typeof values.db === 'string' ? ` --db ${JSON.stringify(values.db)}` : ''}`,
        );
        return EXIT_PAUSED;
      }
      return run.status === 'done' ? 0 : 1;
    } finally {
      ctrlC.off();
      offProgress();
      offRuns();
      reporter.end();
    }
  },
};

/** "Engine: webgpu, WebGPU: nvidia ampere (...)" and a line per faster engine not used, with why. */
export function engineText(e: EngineStatus): string {
  return [`Engine: ${e.backend}, ${e.device}`, ...e.skipped.map((s) => `  not used: ${s.name}: ${s.reason}`)].join('\n');
}

const runs = listCommand({
  name: 'runs',
  summary: 'list training runs with their status and final metrics',
  load: (ctx) => ctx.api.listRuns(),
  empty: (list) => list.length === 0,
  none: `No training runs yet: start one with '${PROGRAM} train'.`,
  show(ctx, list) {
    const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
    ctx.print(
      table([
        ['ID', 'Status', 'Step', 'Loss', 'Acc', 'kNN', 'Backend', 'Name'],
        ...list.map((r) => [
          String(r.id),
          r.owner ? `running in ${otherProcess(r.owner)}` : r.status,
          `${r.step}/${r.totalSteps}`,
          r.final.loss === null ? '-' : r.final.loss.toFixed(3),
          pct(r.final.accuracy),
          pct(r.final.knnAccuracy),
          r.backend,
          r.name,
        ]),
      ]),
    );
  },
});

export const TRAIN_COMMANDS: readonly Command[] = [train, runs];
