// `duplicates`: groups of identical files, or of near-duplicates by embedding similarity.
import { join } from 'node:path';
import { answeredPlainly, UsageError, type Command, type CommandContext, type OptionValues } from './command';
import { intFlag } from './flags';
import { formatBytes, plural } from './format';

export const DUPLICATES_COMMAND: Command = {
  name: 'duplicates',
  args: '',
  summary: 'list groups of identical images, or of near-duplicates with --threshold',
  description: [
    'Without --threshold: files with identical content. With --threshold <x> (0.5..1): groups of images',
    "whose embeddings have cosine similarity >= x (needs embeddings: see 'moco-studio embed'), joined by",
    'copies whose perceptual hashes match (cropped a little, resized, brightened or recompressed) at any x.',
  ].join('\n'),
  options: {
    threshold: { type: 'string', value: '<x>', help: 'near-duplicates at this cosine similarity, e.g. 0.95' },
    set: { type: 'string', value: '<setId>', help: 'embedding set (default: the newest with embeddings)' },
  },
  minArgs: 0,
  maxArgs: 0,
  readOnly: true,
  async run(ctx, _positionals, values) {
    if (typeof values.threshold === 'string') return nearDuplicates(ctx, values);
    const groups = await ctx.api.listDuplicateGroups();
    if (answeredPlainly(ctx, groups, groups.length === 0, 'No duplicates.')) return 0;
    const roots = new Map((await ctx.api.listFolders()).map((f) => [f.id, f.path]));
    for (const g of groups) {
      ctx.print(`${g.hash.slice(0, 12)}  ${plural(g.images.length, 'copy', 'copies')} of ${formatBytes(g.size)}`);
      for (const img of g.images) ctx.print(`  ${join(roots.get(img.folderId) ?? `folder ${img.folderId}`, img.relPath)}`);
    }
    return 0;
  },
};

async function nearDuplicates(ctx: CommandContext, values: OptionValues): Promise<number> {
  const raw = values.threshold as string;
  const threshold = Number(raw);
  if (!/^\s*(0(\.\d+)?|1(\.0*)?)\s*$/.test(raw) || !(threshold >= 0.5 && threshold <= 1)) {
    throw new UsageError(`duplicates: --threshold: expected a number from 0.5 to 1, got ${JSON.stringify(raw)}`, 'duplicates');
  }
  const setId = intFlag('duplicates', values, 'set');
  const result = await ctx.api.findNearDuplicates({ threshold, ...(setId ? { setId } : {}) });
  if (answeredPlainly(ctx, result, result.groups.length === 0, `No near-duplicates at similarity >= ${threshold}.`)) return 0;
  const roots = new Map((await ctx.api.listFolders()).map((f) => [f.id, f.path]));
  ctx.print(`${plural(result.groups.length, 'group')} at similarity >= ${threshold} (set ${result.setId}):`);
  result.groups.forEach((g, i) => {
    const hash = g.byHash ? ', copies matched by perceptual hash' : '';
    ctx.print(`group ${i + 1}: ${plural(g.images.length, 'image')}, similarity ${g.minScore.toFixed(3)}–${g.maxScore.toFixed(3)}${hash}`);
    for (const img of g.images)
      ctx.print(`  ${join(roots.get(img.folderId) ?? `folder ${img.folderId}`, img.relPath)}${img.excluded ? ' (excluded)' : ''}`);
  });
  if (result.truncated) ctx.note('Note: the number of similar pairs hit the limit; raise the threshold for complete groups.');
  return 0;
}
