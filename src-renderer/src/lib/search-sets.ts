// Which encoders the Search view offers: every training run that has something to embed with,
// joined with the embedding set it already has (if any), plus sets whose run is gone.
import type { EmbeddingSet, EmbedProgress, RunSummary } from '$contract';
import { formatCount, formatEta, formatRate } from './format';
import { hasWeights } from './probe-runs';

export interface EncoderChoice {
  /** `set:<id>` or `run:<id>`: the value of the choice in a <select> */
  key: string;
  runId: number;
  name: string;
  /** the run's embeddings, or null when none were computed yet */
  set: EmbeddingSet | null;
  /** the run still exists and has weights (trained a step, or imported), so (re)computing can start */
  canCompute: boolean;
  /** the run has trained past the checkpoint its set was made with */
  newerCheckpoint: boolean;
  /** the run's step now (the set's checkpoint step for a set whose run is gone) */
  runStep: number;
}

/** A set the app can search in: finished, or stopped part-way with some vectors. */
export function isSearchable(set: EmbeddingSet): boolean {
  return set.count > 0 && set.status !== 'running' && set.status !== 'failed';
}

function newestFirst(a: { updatedAt: string; id: number }, b: { updatedAt: string; id: number }): number {
  return b.updatedAt.localeCompare(a.updatedAt) || b.id - a.id;
}

/** The set a search uses when the person picked none: the app's default, the newest searchable one. */
export function defaultSet(sets: readonly EmbeddingSet[]): EmbeddingSet | null {
  return [...sets].filter(isSearchable).sort(newestFirst)[0] ?? null;
}

/** Runs with their newest set first, then runs without one, then sets of deleted runs. */
export function encoderChoices(runs: readonly RunSummary[], sets: readonly EmbeddingSet[]): EncoderChoice[] {
  const byRun = new Map<number, EmbeddingSet>();
  for (const s of [...sets].sort(newestFirst)) if (!byRun.has(s.runId)) byRun.set(s.runId, s);
  const runIds = new Set(runs.map((r) => r.id));
  const withRun = [...runs]
    .sort(newestFirst)
    .filter((r) => hasWeights(r) || byRun.has(r.id))
    .map((r): EncoderChoice => {
      const set = byRun.get(r.id) ?? null;
      return {
        key: set ? `set:${set.id}` : `run:${r.id}`,
        runId: r.id,
        name: r.name,
        set,
        canCompute: hasWeights(r),
        // An imported encoder never changes after import.
        newerCheckpoint: !!set && r.status !== 'running' && r.status !== 'imported' && r.step > set.checkpointStep,
        runStep: r.step,
      };
    });
  const orphans = [...byRun.values()]
    .filter((s) => !runIds.has(s.runId))
    .map((s): EncoderChoice => ({
      key: `set:${s.id}`,
      runId: s.runId,
      name: s.name,
      set: s,
      canCompute: false,
      newerCheckpoint: false,
      runStep: s.checkpointStep,
    }));
  // Embedded encoders first: they are the ones a search can use now.
  return [...withRun.filter((c) => c.set), ...orphans, ...withRun.filter((c) => !c.set)];
}

/** "moco-3 · step 1,200 · 480 images" or "moco-3 · not embedded yet". */
export function choiceLabel(c: EncoderChoice): string {
  if (!c.set) return `${c.name} · not embedded yet`;
  const s = c.set;
  const parts = [c.name, `step ${formatCount(s.checkpointStep)}`, `${formatCount(s.count)} image${s.count === 1 ? '' : 's'}`];
  if (s.status === 'running') parts.push('computing…');
  else if (s.status === 'failed') parts.push('failed');
  else if (s.status !== 'done') parts.push(s.status);
  // The run trained on: these vectors are from an older encoder than the run's own.
  if (c.newerCheckpoint) parts.push(`run now at step ${formatCount(c.runStep)}`);
  return parts.join(' · ');
}

/**
 * The button that brings a set up to date, or null when it is. A run that trained on has a new
 * encoder: every image is embedded again (a new set), which the label says rather than counting
 * only the new images.
 */
export function updateAction(c: EncoderChoice): { label: string; title: string } | null {
  const s = c.set;
  if (!s || !c.canCompute) return null;
  const all = s.count + s.stale;
  if (c.newerCheckpoint) {
    return {
      label: `Re-embed all ${formatCount(all)} image${all === 1 ? '' : 's'} with step ${formatCount(c.runStep)}`,
      title: `The run trained on from step ${formatCount(s.checkpointStep)} to ${formatCount(c.runStep)}: the encoder changed, so every image is embedded again`,
    };
  }
  if (s.stale > 0)
    return {
      label: `Embed ${formatCount(s.stale)} new`,
      title: 'Images added or changed, or decoded differently by a newer version, since these embeddings were computed',
    };
  if (s.status === 'partial' || s.status === 'cancelled' || s.status === 'interrupted') {
    return { label: 'Finish embedding', title: 'These embeddings stopped part-way' };
  }
  return null;
}

/** A result's tooltip: its path, then its size, format and similarity on a second line. */
export function resultTooltip(hit: {
  image: { relPath: string; width: number; height: number; format: string };
  score: number;
  nearDuplicate?: boolean;
}): string {
  const img = hit.image;
  const near = hit.nearDuplicate ? ' · near-duplicate (same photo)' : '';
  return `${img.relPath}\n${img.width}×${img.height} ${img.format.toUpperCase()} · similarity ${scoreText(hit.score)}${near}`;
}

export function isEmbedActive(p: EmbedProgress | null | undefined): boolean {
  return !!p && (p.phase === 'preparing' || p.phase === 'embedding');
}

/** "120 / 400 images · 42 img/s · ETA 7 s · onnxruntime (cpu)" */
export function embedProgressText(p: EmbedProgress): string {
  const parts = [`${formatCount(p.done)} / ${formatCount(p.total)} images`];
  if (isEmbedActive(p)) parts.push(formatRate(p.imagesPerSec), formatEta(p.etaSeconds));
  if (p.engine) parts.push(p.engine);
  return parts.join(' · ');
}

const PHASE: Record<EmbedProgress['phase'], string> = {
  preparing: 'Loading the encoder…',
  embedding: 'Computing embeddings…',
  done: 'Embeddings ready',
  cancelled: 'Embedding cancelled',
  failed: 'Embedding failed',
};

export function embedPhaseLabel(p: EmbedProgress): string {
  return PHASE[p.phase] ?? p.phase;
}

/** Cosine similarity as shown on a result: three decimals, the way thresholds are given. */
export function scoreText(score: number): string {
  return Number.isFinite(score) ? score.toFixed(3) : '—';
}
