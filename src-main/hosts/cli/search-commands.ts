// Embeddings and search on the command line: `embed` (compute a run's embeddings), `search`
// (nearest images to a file or a library image) and `embeddings` (the sets).
import { join, resolve } from 'node:path';
import type { EmbedEngine, EmbeddingSet, EmbedProgress, EmbeddingSpace, SearchQuery } from '../../api/contract';
import { cancellableJob, EXIT_CANCELLED, listCommand, PROGRAM, UsageError, type Command, type CommandContext } from './command';
import { formatCount, formatDuration, formatRate, otherProcess, table } from './format';
import { choice, intFlag, str } from './flags';
import { readQueryFile } from './read-query-file';

const ENGINES: readonly EmbedEngine[] = ['auto', 'onnxruntime', 'tfjs'];
const SPACES: readonly EmbeddingSpace[] = ['features', 'embedding'];

function describeEmbedding(p: EmbedProgress): string {
  const parts = [`${formatCount(p.done)}/${formatCount(p.total)}`];
  if (p.total > 0) parts[0] += ` ${Math.floor((100 * p.done) / p.total)}%`;
  if (p.imagesPerSec) parts.push(`${formatRate(p.imagesPerSec)}`);
  if (p.etaSeconds !== null && p.phase === 'embedding') parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  if (p.engine) parts.push(p.engine);
  if (p.message) parts.push(p.message);
  if (p.phase !== 'embedding') parts.push(p.phase);
  return parts.join(' · ');
}

function reportEmbedding(ctx: CommandContext): (p: EmbedProgress) => void {
  let last = 0;
  return (p) => {
    if (ctx.json) {
      ctx.io.stderr.write(`${JSON.stringify({ event: 'embed.progress', ...p })}\n`);
      return;
    }
    const t = Date.now();
    const tty = ctx.io.stderr.isTTY;
    if (p.phase === 'embedding' && t - last < (tty ? 200 : 5000)) return;
    last = t;
    ctx.io.stderr.write(tty ? `\rEmbedding: ${describeEmbedding(p)}\x1b[K` : `Embedding: ${describeEmbedding(p)}\n`);
  };
}

const embed: Command = {
  name: 'embed',
  args: '[runId]',
  summary: "compute embeddings of the library with a run's encoder (incremental)",
  description: [
    "The encoder is the run's newest checkpoint (default: the newest trained or imported run). Only images",
    'without a current vector are embedded, so after a rescan only new and changed images are. Progress',
    'goes to stderr; Ctrl-C cancels, keeping what was computed.',
  ].join('\n'),
  options: {
    engine: { type: 'string', value: '<name>', help: `${ENGINES.join(' | ')} (default auto: onnxruntime, else TF.js)` },
    'batch-size': { type: 'string', value: '<n>', help: 'images per forward pass (default 64)' },
  },
  minArgs: 0,
  maxArgs: 1,
  async run(ctx, [runArg], values) {
    const engine = choice('embed', values, 'engine', ENGINES);
    const batchSize = intFlag('embed', values, 'batch-size', 1024);
    const runs = await ctx.api.listRuns();
    let runId: number;
    if (runArg !== undefined) {
      if (!/^[1-9]\d*$/.test(runArg))
        throw new UsageError(`embed: expected a run id (see '${PROGRAM} runs'), got ${JSON.stringify(runArg)}`, 'embed');
      runId = Number(runArg);
    } else {
      // An imported encoder is a trained one too: it has its checkpoint at step 0.
      const run = runs.find((r) => r.status === 'imported' || (r.status !== 'running' && r.step > 0));
      if (!run) throw new UsageError(`embed: expected a trained run, got none (train one with '${PROGRAM} train')`, 'embed');
      runId = run.id;
    }
    return cancellableJob(ctx, {
      start: () => ctx.api.startEmbedding(runId, { ...(engine ? { engine } : {}), ...(batchSize ? { batchSize } : {}) }),
      wait: () => ctx.studio.waitForEmbedding(),
      list: () => ctx.api.listEmbeddings(),
      cancelling: '\nCancelling (what was computed is kept)...',
      cancel: () => ctx.api.cancelEmbedding(),
      offProgress: ctx.studio.on('embed.progress', reportEmbedding(ctx)),
      show(set: EmbeddingSet) {
        ctx.print(`Embedding set ${set.id} (${set.name}): ${formatCount(set.count)} images embedded, ${set.status}, ${set.engine}.`);
        if (set.error) ctx.print(`Error: ${set.error}`);
      },
      exitCode: (set: EmbeddingSet) => (set.status === 'cancelled' ? EXIT_CANCELLED : set.status === 'failed' ? 1 : 0),
    });
  },
};

const search: Command = {
  name: 'search',
  args: '',
  summary: 'the images most like a file (--image) or a library image (--id)',
  description: 'Cosine similarity in the embedding space of a set (default: the newest with embeddings).',
  options: {
    image: { type: 'string', value: '<path>', help: 'an image file, in the library or not' },
    id: { type: 'string', value: '<imageId>', help: 'a library image by id' },
    k: { type: 'string', value: '<n>', help: 'how many results (default 10)' },
    set: { type: 'string', value: '<setId>', help: "embedding set (see 'embeddings')" },
    space: { type: 'string', value: '<name>', help: 'features (pooled backbone, default) | embedding (128-d head)' },
    folder: { type: 'string', value: '<id,...>', help: 'only results from these folder ids' },
    'hide-duplicates': { type: 'boolean', help: 'leave out byte-identical copies' },
    'include-excluded': { type: 'boolean', help: 'include images marked excluded' },
  },
  minArgs: 0,
  maxArgs: 0,
  readOnly: true,
  async run(ctx, _positionals, values) {
    const image = str(values, 'image');
    const id = intFlag('search', values, 'id');
    if ((image === undefined) === (id === undefined))
      throw new UsageError(
        'search: expected exactly one of --image <path> or --id <imageId>, got ' + (image ? 'both' : 'neither'),
        'search',
      );
    let query: SearchQuery;
    if (image !== undefined) {
      const path = resolve(image);
      const bytes = await readQueryFile('search: --image', path).catch((err: Error) => {
        throw new UsageError(err.message, 'search');
      });
      query = { fileName: path, dataBase64: bytes.toString('base64') };
    } else {
      query = { imageId: id! };
    }
    const folderRaw = str(values, 'folder');
    const folderIds = folderRaw?.split(',').map((s) => {
      if (!/^[1-9]\d*$/.test(s.trim()))
        throw new UsageError(`search: --folder: expected folder ids like 1,3, got ${JSON.stringify(folderRaw)}`, 'search');
      return Number(s);
    });
    const result = await ctx.api.searchSimilar({
      query,
      k: intFlag('search', values, 'k', 1000) ?? 10,
      ...(intFlag('search', values, 'set') ? { setId: intFlag('search', values, 'set') } : {}),
      ...(choice('search', values, 'space', SPACES) ? { space: choice('search', values, 'space', SPACES) } : {}),
      ...(folderIds ? { folderIds } : {}),
      hideDuplicates: values['hide-duplicates'] === true,
      includeExcluded: values['include-excluded'] === true,
    });
    if (ctx.json) {
      ctx.emit(result);
      return 0;
    }
    const roots = new Map((await ctx.api.listFolders()).map((f) => [f.id, f.path]));
    ctx.print(`Most like ${result.queryName} (set ${result.setId}, ${result.space}, ${result.tookMs.toFixed(1)} ms):`);
    ctx.print(
      table([
        ['RANK', 'SCORE', 'ID', 'PATH'],
        ...result.hits.map((h, i) => [
          String(i + 1),
          h.score.toFixed(4),
          String(h.image.id),
          join(roots.get(h.image.folderId) ?? '', h.image.relPath) + (h.nearDuplicate ? '  (near-duplicate: same photo)' : ''),
        ]),
      ]),
    );
    return 0;
  },
};

const embeddings = listCommand({
  name: 'embeddings',
  summary: 'list the embedding sets (one per encoder checkpoint)',
  load: (ctx): Promise<EmbeddingSet[]> => ctx.api.listEmbeddings(),
  empty: (list) => list.length === 0,
  none: `No embeddings yet: compute them with '${PROGRAM} embed'.`,
  show(ctx, list) {
    ctx.print(
      table([
        ['ID', 'RUN', 'STATUS', 'IMAGES', 'STALE', 'DIMS', 'ENGINE', 'NAME'],
        ...list.map((s) => [
          String(s.id),
          String(s.runId),
          s.owner ? `running in ${otherProcess(s.owner)}` : s.status,
          formatCount(s.count),
          formatCount(s.stale),
          `${s.featureDim}/${s.outDim}`,
          s.engine || '-',
          s.name,
        ]),
      ]),
    );
  },
});

export const SEARCH_COMMANDS: readonly Command[] = [embed, search, embeddings];
