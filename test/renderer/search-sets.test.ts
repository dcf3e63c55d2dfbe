import { describe, expect, it } from 'vitest';
import { finishedRun } from './fixtures';
import type { EmbeddingSet, EmbedProgress, RunSummary } from '../../src-main/api/contract';
import {
  choiceLabel,
  defaultSet,
  embedProgressText,
  encoderChoices,
  isSearchable,
  resultTooltip,
  scoreText,
  updateAction,
} from '../../src-renderer/src/lib/search-sets';
import { DEFAULT_OPTIONS, searchRequest, toggleFolder } from '../../src-renderer/src/lib/search-request';

function run(id: number, over: Partial<RunSummary> = {}): RunSummary {
  return finishedRun(id, { config: {} as RunSummary['config'], step: 100, totalSteps: 100, epoch: 2, images: 48, ...over });
}

function set(id: number, runId: number, over: Partial<EmbeddingSet> = {}): EmbeddingSet {
  return {
    id,
    runId,
    name: `run-${runId}`,
    checkpointStep: 100,
    status: 'done',
    engine: 'onnxruntime (cpu)',
    featureDim: 64,
    outDim: 128,
    inputSize: 32,
    count: 48,
    stale: 0,
    createdAt: `2024-02-0${id}T00:00:00Z`,
    updatedAt: `2024-02-0${id}T00:00:00Z`,
    error: null,
    ...over,
  };
}

describe('encoder choices', () => {
  it('puts embedded runs first, then sets of deleted runs, then runs without embeddings', () => {
    const runs = [run(1), run(2), run(3, { step: 0, status: 'failed' }), run(4)];
    const sets = [set(10, 2), set(11, 9, { name: 'gone' })];
    const choices = encoderChoices(runs, sets);
    expect(choices.map((c) => c.key)).toEqual(['set:10', 'set:11', 'run:4', 'run:1']);
    expect(choices.find((c) => c.key === 'set:11')).toMatchObject({ name: 'gone', canCompute: false });
    // A run that never trained a step has nothing to embed with.
    expect(choices.some((c) => c.runId === 3)).toBe(false);
  });

  it('shows the newest set of a run and whether the run trained past it', () => {
    const runs = [run(1, { step: 300 })];
    const sets = [
      set(5, 1, { checkpointStep: 100, updatedAt: '2024-02-01T00:00:00Z' }),
      set(6, 1, { checkpointStep: 200, updatedAt: '2024-02-05T00:00:00Z' }),
    ];
    const [c] = encoderChoices(runs, sets);
    expect(c.set?.id).toBe(6);
    expect(c.newerCheckpoint).toBe(true);
    expect(encoderChoices([run(1, { step: 200 })], sets)[0].newerCheckpoint).toBe(false);
  });

  it('labels a choice by name, step, size and status', () => {
    const [c] = encoderChoices([run(1)], [set(5, 1, { count: 1200, checkpointStep: 1500 })]);
    expect(choiceLabel(c)).toBe('run-1 · step 1,500 · 1,200 images');
    const [d] = encoderChoices([run(1)], [set(5, 1, { status: 'partial' })]);
    expect(choiceLabel(d)).toBe('run-1 · step 100 · 48 images · partial');
    const [e] = encoderChoices([run(2)], []);
    expect(choiceLabel(e)).toBe('run-2 · not embedded yet');
  });
});

describe('default set', () => {
  it('is the newest searchable set, like the app picks when no set is given', () => {
    const sets = [
      set(1, 1, { updatedAt: '2024-03-01T00:00:00Z' }),
      set(2, 2, { updatedAt: '2024-03-05T00:00:00Z', status: 'running' }),
      set(3, 3, { updatedAt: '2024-03-04T00:00:00Z', status: 'cancelled', count: 10 }),
      set(4, 4, { updatedAt: '2024-03-09T00:00:00Z', count: 0 }),
    ];
    expect(defaultSet(sets)?.id).toBe(3);
    expect(isSearchable(sets[1])).toBe(false);
    expect(isSearchable(sets[3])).toBe(false);
    expect(defaultSet([])).toBeNull();
  });
});

describe('embedding progress and scores', () => {
  const p: EmbedProgress = {
    setId: 1,
    phase: 'embedding',
    done: 120,
    total: 400,
    imagesPerSec: 42.4,
    etaSeconds: 7,
    engine: 'onnxruntime (cpu)',
    message: null,
  };
  it('reads done / total, rate, ETA and engine while running, and only counts once over', () => {
    expect(embedProgressText(p)).toBe('120 / 400 images · 42.4 img/s · ETA 7 s · onnxruntime (cpu)');
    expect(embedProgressText({ ...p, phase: 'done', done: 400, engine: null })).toBe('400 / 400 images');
  });
  it('shows a cosine score with three decimals', () => {
    expect(scoreText(0.98765)).toBe('0.988');
    expect(scoreText(-0.5)).toBe('-0.500');
    expect(scoreText(Number.NaN)).toBe('—');
  });
});

describe('search requests', () => {
  it('asks for a library image with the chosen set and options', () => {
    const r = searchRequest({ kind: 'image', imageId: 5 }, { ...DEFAULT_OPTIONS, k: 48, folderIds: [3, 1] }, 2);
    expect(r).toEqual({
      setId: 2,
      query: { imageId: 5 },
      k: 48,
      space: 'features',
      hideDuplicates: true,
      folderIds: [3, 1],
      includeExcluded: false,
    });
  });
  it('sends an outside file by its bytes, and leaves out what means "all" or "default"', () => {
    const r = searchRequest({ kind: 'file', fileName: 'x.png', dataBase64: 'QUJD' }, { ...DEFAULT_OPTIONS, space: 'embedding' }, null);
    expect(r).toEqual({
      query: { fileName: 'x.png', dataBase64: 'QUJD' },
      k: 24,
      space: 'embedding',
      hideDuplicates: true,
      includeExcluded: false,
    });
  });
  it('ticks and unticks folders', () => {
    expect(toggleFolder([5, 2], 3, true)).toEqual([2, 3, 5]);
    expect(toggleFolder([2, 3, 5], 3, false)).toEqual([2, 5]);
    expect(toggleFolder([2], 2, true)).toEqual([2]);
  });
});

describe('bringing embeddings up to date', () => {
  it('says the encoder changed and every image is embedded again when the run trained on, naming the new step', () => {
    // The run continued from step 1,200 to 2,400; 20 images were added since.
    const [c] = encoderChoices([run(1, { step: 2400 })], [set(5, 1, { checkpointStep: 1200, count: 8093, stale: 20 })]);
    expect(choiceLabel(c)).toBe('run-1 · step 1,200 · 8,093 images · run now at step 2,400');
    expect(updateAction(c)).toEqual({
      label: 'Re-embed all 8,113 images with step 2,400',
      title: 'The run trained on from step 1,200 to 2,400: the encoder changed, so every image is embedded again',
    });
  });

  it('embeds only new images for the same encoder, finishes a stopped set, and offers nothing when up to date', () => {
    const [stale] = encoderChoices([run(1)], [set(5, 1, { stale: 20 })]);
    expect(updateAction(stale)?.label).toBe('Embed 20 new');
    const [partial] = encoderChoices([run(1)], [set(5, 1, { status: 'partial' })]);
    expect(updateAction(partial)?.label).toBe('Finish embedding');
    const [fresh] = encoderChoices([run(1)], [set(5, 1)]);
    expect(updateAction(fresh)).toBeNull();
    expect(choiceLabel(fresh)).toBe('run-1 · step 100 · 48 images');
    // A set whose run is gone cannot be recomputed.
    const [orphan] = encoderChoices([], [set(5, 9, { stale: 3 })]);
    expect(updateAction(orphan)).toBeNull();
  });
});

describe('result tooltip', () => {
  it('puts the size on a second line (a real line break, not a backslash and n) and says when the hash matched', () => {
    const image = { relPath: 'a/b.jpg', width: 640, height: 480, format: 'jpeg' };
    expect(resultTooltip({ image, score: 0.91234 })).toBe('a/b.jpg\n640×480 JPEG · similarity 0.912');
    expect(resultTooltip({ image, score: 0.5, nearDuplicate: true }).split('\n')).toEqual([
      'a/b.jpg',
      '640×480 JPEG · similarity 0.500 · near-duplicate (same photo)',
    ]);
    expect(resultTooltip({ image, score: 0.5 })).not.toContain('\\n');
  });
});
