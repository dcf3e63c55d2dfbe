// Probes through the Studio API: the label preview, a probe of a tiny trained run in its worker
// with both baselines, stored results whose confusion matrices add up, the images of a cell,
// cancelling, and clear errors.
import { describe, expect, it } from 'vitest';
import type { ProbeConfig, ProbeRun } from '../../../src-main/api/contract';
import { makePatternLibrary, trainedStudioSuite } from '../moco/train/fixtures';

// 24 images, 3 classes of 8
const suite = trainedStudioSuite('probe', (photos) => makePatternLibrary(photos, 8, 32));

function config(over: Partial<ProbeConfig> = {}): ProbeConfig {
  return {
    runId: suite.runId,
    labels: { kind: 'folder', level: -1 },
    testFraction: 0.25,
    minPerClass: 5,
    seed: 1,
    inputSize: null,
    linear: { epochs: 15, lr: 30, momentum: 0.9, weightDecay: 0, batchSize: 16, lrSteps: [0.6, 0.8], standardize: false },
    knn: { k: 20, T: 0.1 },
    baselines: { randomInit: true, rawPixels: true },
    folderIds: [],
    ...over,
  };
}

async function probeToEnd(c: ProbeConfig): Promise<ProbeRun> {
  const started = await suite.studio.api.startProbe(c);
  await suite.studio.waitForProbe();
  return (await suite.studio.api.listProbes()).find((p) => p.id === started.id)!;
}

describe('probes', () => {
  it('previews the classes and the stratified split of a label source', async () => {
    const preview = await suite.studio.api.previewLabels(
      { kind: 'folder', level: -1 },
      { folderIds: [], minPerClass: 5, testFraction: 0.25, seed: 1 },
    );
    expect(preview.classes).toEqual([
      { name: 'across', train: 6, test: 2 },
      { name: 'checker', train: 6, test: 2 },
      { name: 'down', train: 6, test: 2 },
    ]);
    expect(preview.leftOut).toEqual([]);
    await expect(
      suite.studio.api.previewLabels({ kind: 'folder', level: -1 }, { folderIds: [], minPerClass: 9, testFraction: 0.25, seed: 1 }),
    ).rejects.toThrow(/previewLabels: expected at least 2 classes with 9 or more images each/);
    await expect(
      suite.studio.api.previewLabels({ kind: 'tag' }, { folderIds: [], minPerClass: 5, testFraction: 0.25, seed: 1 }),
    ).rejects.toThrow(/previewLabels: expected at least 2 classes/);
  });

  it('runs the linear probe and kNN on the encoder and both baselines, in a worker', async () => {
    const phases = new Set<string>();
    const off = suite.studio.on('probe.progress', (p) => phases.add(p.phase));
    const probe = await probeToEnd(config());
    off();
    expect(probe.status).toBe('done');
    expect(probe.error).toBeNull();
    expect(['features', 'linear', 'knn', 'done'].every((p) => phases.has(p))).toBe(true);
    expect(probe.results.map((r) => `${r.model}/${r.method}`)).toEqual([
      'pretrained/linear',
      'pretrained/knn',
      'random-init/linear',
      'random-init/knn',
      'raw-pixels/linear',
      'raw-pixels/knn',
    ]);
    for (const r of probe.results) {
      expect(r.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(6);
      expect(r.metrics.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([2, 2, 2]);
      expect(r.metrics.top5).toBe(1); // three classes: the true one is always among the best five
      expect(r.metrics.perClass.map((c) => c.name)).toEqual(['across', 'checker', 'down']);
      const correct = r.metrics.confusion.reduce((n, row, i) => n + row[i], 0);
      expect(r.metrics.top1).toBeCloseTo(correct / 6, 6);
    }
  }, 300_000);

  it('lists the test images of a confusion-matrix cell', async () => {
    const probe = (await suite.studio.api.listProbes())[0];
    const r = probe.results[0];
    for (let t = 0; t < 3; t++) {
      for (let p = 0; p < 3; p++) {
        const images = await suite.studio.api.probeCellImages({
          probeId: probe.id,
          model: r.model,
          method: r.method,
          trueClass: t,
          predictedClass: p,
        });
        expect(images).toHaveLength(r.metrics.confusion[t][p]);
        for (const im of images) expect(im.relPath.startsWith(probe.classes[t].name + '/')).toBe(true);
      }
    }
    await expect(
      suite.studio.api.probeCellImages({ probeId: probe.id, model: 'pretrained', method: 'knn', trueClass: 7, predictedClass: 0 }),
    ).rejects.toThrow('probeCellImages: expected class indices below 3, got 7 and 0');
  });

  it('can be cancelled, and refuses a second probe at once or an unknown run', async () => {
    const started = await suite.studio.api.startProbe(config({ linear: { ...config().linear, epochs: 5000 } }));
    await expect(suite.studio.api.startProbe(config())).rejects.toThrow(/startProbe: expected no probe in progress/);
    await suite.studio.api.cancelProbe();
    const probe = (await suite.studio.api.listProbes()).find((p) => p.id === started.id)!;
    expect(probe.status).toBe('cancelled');
    await expect(suite.studio.api.startProbe(config({ runId: 4242 }))).rejects.toThrow('startProbe: expected a run id, got 4242');
    await suite.studio.api.deleteProbe(probe.id);
    expect((await suite.studio.api.listProbes()).some((p) => p.id === probe.id)).toBe(false);
  }, 120_000);
});
