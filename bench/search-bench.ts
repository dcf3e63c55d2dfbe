// `npm run bench:search`: exact k-NN latency of src-main/core/search/exact.ts next to FAISS
// IndexFlatIP on the same vectors and queries. Not a test: it prints numbers.
//
// For each size and dimension (one at a time, so at most one library is in memory):
// 1. Draws n random unit vectors (Gaussian rows, normalised; fixed seed) and the queries, and
//    writes both as .npy to a temporary folder; bench/faiss_search_ref.py (Debian's
//    /usr/bin/python3 with python3-faiss) reads the same files, so both sides search the same bytes.
// 2. Warms both sides up, then alternates between them in rounds (FAISS first in odd rounds, ours
//    first in even ones) so both meet the same load on a shared machine: single queries, then
//    batches. Latency is the wall time of one search call: p50 and p99.
// 3. Compares the top-k ids query by query: identical lists, and differences that are only a
//    near tie (the two sides' float32 sums round differently, |score gap| < 1e-5).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../src-main/core/moco/rng';
import { ExactIndex, type TopKResult } from '../src-main/core/search/exact';
import { engineFallbackReason, type EngineChoice } from '../src-main/core/search/vec-engine';
import { normalizeRows } from '../src-main/core/search/vec-math';

const GOAL_RATIO = 1.5;
const NEAR_TIE = 1e-5;
import { referenceEnv, type ReferenceEnv } from './reference-env';
import { intFlag } from './flags';

const PYTHON = '/usr/bin/python3';
const FAISS_SCRIPT = fileURLToPath(new URL('./faiss_search_ref.py', import.meta.url));

const HELP = `Usage: npm run bench:search -- [options]

Options:
  --sizes <list>    library sizes, comma-separated (default 100000,1000000)
  --dims <list>     dimensions, comma-separated (default 128,512)
  --queries <n>     single-query searches timed per side (default 30)
  --batches <n>     batched searches timed per side (default 3)
  --batch <n>       queries per batch (default 64)
  --k <n>           neighbours per query (default 10)
  --rounds <n>      interleaved rounds the searches are split into (default 2)
  --engine <name>   our engine: auto, onnx or js (default auto)
  --threads <n>     threads for both sides (default: all cores, ${availableParallelism()} here)
  --also <list>     also time other exact engines: usearch (usearch.exactSearch), js (plain loops)
  --no-faiss        skip FAISS (ours only)
  --help            show this help

FAISS runs in ${PYTHON} (Debian python3-faiss) and uses the BLAS that Debian's alternatives
select; LD_LIBRARY_PATH and OMP_* reach it unchanged. 1,000,000 x 512 floats are 2 GB per side.
`;

interface Options {
  sizes: number[];
  dims: number[];
  queries: number;
  batches: number;
  batch: number;
  k: number;
  rounds: number;
  engine: EngineChoice;
  threads: number;
  also: string[];
  faiss: boolean;
}

function parse(): Options | null {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      dims: { type: 'string' },
      queries: { type: 'string' },
      batches: { type: 'string' },
      batch: { type: 'string' },
      k: { type: 'string' },
      rounds: { type: 'string' },
      engine: { type: 'string' },
      threads: { type: 'string' },
      also: { type: 'string' },
      'no-faiss': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return null;
  const engine = values.engine ?? 'auto';
  if (!['auto', 'onnx', 'js'].includes(engine)) throw new Error(`bench:search: expected --engine auto, onnx or js, got ${engine}`);
  const also = values.also ? values.also.split(',') : [];
  for (const a of also) if (a !== 'usearch' && a !== 'js') throw new Error(`bench:search: expected --also to list usearch or js, got ${a}`);
  return {
    sizes: intList('sizes', values.sizes ?? '100000,1000000'),
    dims: intList('dims', values.dims ?? '128,512'),
    queries: intFlag('bench:search', 'queries', values.queries, 30),
    batches: intFlag('bench:search', 'batches', values.batches, 3),
    batch: intFlag('bench:search', 'batch', values.batch, 64),
    k: intFlag('bench:search', 'k', values.k, 10),
    rounds: intFlag('bench:search', 'rounds', values.rounds, 2),
    engine: engine as EngineChoice,
    threads: intFlag('bench:search', 'threads', values.threads, availableParallelism()),
    also,
    faiss: !values['no-faiss'],
  };
}

function intList(flag: string, value: string): number[] {
  return value.split(',').map((v) => intFlag('bench:search', flag, v.trim(), 0));
}

/** n x d Gaussian rows scaled to unit length, the same for the same seed. */
function unitRows(seed: number, n: number, d: number): Float32Array {
  return normalizeRows(new Rng(seed).normal(n * d), n, d);
}

/** Writes a float32 C-order .npy (format 1.0), streaming the matrix in 64 MB pieces. */
function writeNpy(path: string, m: Float32Array, n: number, d: number): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, pre);
    writeSync(fd, Buffer.from(header, 'latin1'));
    const bytes = Buffer.from(m.buffer, m.byteOffset, m.byteLength);
    for (let o = 0; o < bytes.length; o += 64 << 20) writeSync(fd, bytes.subarray(o, Math.min(bytes.length, o + (64 << 20))));
  } finally {
    closeSync(fd);
  }
}

interface Answer {
  ms: number[];
  /** CPU ms of each search, all threads of the process */
  cpu_ms: number[];
  /** per query, k ids and scores */
  ids: number[][];
  scores: number[][];
}

/** The FAISS child: one JSON command per line in, one JSON answer per line out. */
class Faiss {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';
  /** the reference's environment (OpenBLAS, passive OpenMP waits), in words for the report */
  readonly env: ReferenceEnv;
  readonly ready: Promise<{ faiss: string; threads: number; blas_threshold: number; load_s: number; blas: string }>;

  constructor(data: string, queries: string, k: number, threads: number) {
    this.env = referenceEnv(threads);
    this.child = spawn(PYTHON, [FAISS_SCRIPT, '--data', data, '--queries', queries, '--k', String(k), '--threads', String(threads)], {
      stdio: 'pipe',
      env: this.env.env,
    });
    this.child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.ready = this.next();
  }

  async ask(cmd: object): Promise<Answer> {
    const answer = this.next<Answer>();
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
    return answer;
  }

  close(): void {
    this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
  }

  private next<T>(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`bench:search: expected the FAISS child to answer, got exit code ${code}\n${this.stderr.trim()}`));
      this.child.once('exit', onExit);
      this.waiting.push((line) => {
        this.child.off('exit', onExit);
        resolve(JSON.parse(line) as T);
      });
    });
  }
}

type Searcher = (queries: Float32Array, nq: number) => Promise<{ ids: number[][]; scores: number[][] }>;

/** Times `count` calls on consecutive slices of `size` queries starting at query `start`. */
async function timeSearches(search: Searcher, all: Float32Array, d: number, start: number, size: number, count: number): Promise<Answer> {
  const out: Answer = { ms: [], cpu_ms: [], ids: [], scores: [] };
  for (let c = 0; c < count; c++) {
    const q0 = start + c * size;
    const q = all.subarray(q0 * d, (q0 + size) * d);
    const c0 = process.cpuUsage();
    const t = performance.now();
    const r = await search(q, size);
    out.ms.push(performance.now() - t);
    const used = process.cpuUsage(c0);
    out.cpu_ms.push((used.user + used.system) / 1000);
    out.ids.push(...r.ids);
    out.scores.push(...r.scores);
  }
  return out;
}

function perQuery(r: TopKResult): { ids: number[][]; scores: number[][] } {
  const nq = r.counts.length;
  return {
    ids: Array.from({ length: nq }, (_, q) => Array.from(r.rows.subarray(q * r.k, (q + 1) * r.k))),
    scores: Array.from({ length: nq }, (_, q) => Array.from(r.scores.subarray(q * r.k, (q + 1) * r.k))),
  };
}

function merge(parts: Answer[]): Answer {
  return {
    ms: parts.flatMap((p) => p.ms),
    cpu_ms: parts.flatMap((p) => p.cpu_ms),
    ids: parts.flatMap((p) => p.ids),
    scores: parts.flatMap((p) => p.scores),
  };
}

function quantile(ms: number[], q: number): number {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Identical id lists, lists that differ only where the two sides' scores are a near tie, and the largest score gap. */
function agreement(a: Answer, b: Answer): { identical: number; nearTie: number; total: number; maxGap: number } {
  let identical = 0;
  let nearTie = 0;
  let maxGap = 0;
  a.ids.forEach((ids, q) => {
    const other = b.ids[q];
    const first = ids.findIndex((id, i) => id !== other[i]);
    for (let i = 0; i < ids.length; i++) if (ids[i] === other[i]) maxGap = Math.max(maxGap, Math.abs(a.scores[q][i] - b.scores[q][i]));
    if (first < 0) identical++;
    else if (ids.every((_, i) => Math.abs(a.scores[q][i] - b.scores[q][i]) < NEAR_TIE)) nearTie++;
  });
  return { identical, nearTie, total: a.ids.length, maxGap };
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)).padStart(8);

function report(label: string, ours: Answer, faiss: Answer | null, others: [string, Answer][]): void {
  const p50 = quantile(ours.ms, 0.5);
  let line = `  ${label.padEnd(10)} ours p50 ${fmt(p50)} p99 ${fmt(quantile(ours.ms, 0.99))} ms (cpu p50 ${fmt(quantile(ours.cpu_ms, 0.5))})`;
  if (faiss) {
    const f50 = quantile(faiss.ms, 0.5);
    const ag = agreement(ours, faiss);
    const ratio = p50 / f50;
    line += ` | faiss p50 ${fmt(f50)} p99 ${fmt(quantile(faiss.ms, 0.99))} ms (cpu p50 ${fmt(quantile(faiss.cpu_ms, 0.5))}) | ratio ${ratio.toFixed(2).padStart(5)}x ${ratio <= GOAL_RATIO ? 'ok ' : 'SLOW'}`;
    line += ` | top-k identical ${ag.identical}/${ag.total}${ag.nearTie ? ` (+${ag.nearTie} near ties)` : ''}, max score gap ${ag.maxGap.toExponential(1)}`;
  }
  console.log(line);
  for (const [name, a] of others) {
    const extra = faiss ? ` | top-k identical to faiss ${agreement(a, faiss).identical}/${a.ids.length}` : '';
    console.log(`  ${''.padEnd(10)} ${name.padEnd(4)} p50 ${fmt(quantile(a.ms, 0.5))} p99 ${fmt(quantile(a.ms, 0.99))} ms${extra}`);
  }
}

async function benchOne(opts: Options, n: number, d: number, dir: string): Promise<void> {
  const load0 = loadavg()[0];
  let t = performance.now();
  const x = unitRows(1000 + d, n, d);
  const nq = opts.queries + opts.batches * opts.batch;
  const queries = unitRows(2000 + d, nq, d);
  const genS = (performance.now() - t) / 1000;
  const dataPath = join(dir, `library-${n}x${d}.npy`);
  const queryPath = join(dir, `queries-${nq}x${d}.npy`);
  let faiss: Faiss | null = null;
  try {
    if (opts.faiss) {
      writeNpy(dataPath, x, n, d);
      writeNpy(queryPath, queries, nq, d);
      faiss = new Faiss(dataPath, queryPath, opts.k, opts.threads);
    }
    const index = new ExactIndex(x, n, d, { engine: opts.engine, threads: opts.threads });
    const ours: Searcher = async (q, m) => perQuery(await index.search(q, m, opts.k));
    const others: [string, Searcher][] = [];
    if (opts.also.includes('usearch')) {
      const usearch = await import('usearch');
      // exactSearch reads its inputs from the start of their ArrayBuffers: pass copies, not views.
      others.push([
        'usea',
        async (q, m) => usearchAnswer(usearch.exactSearch(x, q.slice(), d, opts.k, usearch.MetricKind.IP, opts.threads), m, opts.k),
      ]);
    }
    if (opts.also.includes('js')) {
      const js = new ExactIndex(x, n, d, { engine: 'js' });
      others.push(['js', async (q, m) => perQuery(await js.search(q, m, opts.k))]);
    }

    t = performance.now();
    await ours(queries.subarray(0, opts.batch * d), opts.batch); // warm-up: sessions, thread pool, page cache
    const warmS = (performance.now() - t) / 1000;
    const info = faiss ? await faiss.ready : null;
    console.log(
      `\n${n.toLocaleString('en-US')} x ${d}: generated in ${genS.toFixed(1)} s; ours: ${await index.engineName()} engine, ${opts.threads} threads, warm-up ${warmS.toFixed(1)} s` +
        (info
          ? `; faiss ${info.faiss}, ${info.threads} threads, loaded in ${info.load_s.toFixed(1)} s; ${faiss!.env.described}; BLAS mapped: ${info.blas}`
          : ''),
    );

    const cases = [
      { label: 'single', start: 0, size: 1, count: opts.queries },
      { label: `batch ${opts.batch}`, start: opts.queries, size: opts.batch, count: opts.batches },
    ];
    for (const c of cases) {
      const mine: Answer[] = [];
      const theirs: Answer[] = [];
      const alt = others.map(() => [] as Answer[]);
      const perRound = Math.ceil(c.count / opts.rounds);
      for (let r = 0, done = 0; done < c.count; r++, done += perRound) {
        const count = Math.min(perRound, c.count - done);
        const start = c.start + done * c.size;
        const runFaiss = async () => {
          if (faiss) theirs.push(await faiss.ask({ op: c.size === 1 ? 'single' : 'batch', start, size: c.size, count }));
        };
        const runOurs = async () => mine.push(await timeSearches(ours, queries, d, start, c.size, count));
        if (r % 2 === 0) {
          await runFaiss();
          await runOurs();
        } else {
          await runOurs();
          await runFaiss();
        }
        for (let i = 0; i < others.length; i++) alt[i].push(await timeSearches(others[i][1], queries, d, start, c.size, count));
      }
      report(
        c.label,
        merge(mine),
        faiss ? merge(theirs) : null,
        others.map(([name], i) => [name, merge(alt[i])]),
      );
    }
    console.log(`  load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores`);
  } finally {
    faiss?.close();
    rmSync(dataPath, { force: true });
    rmSync(queryPath, { force: true });
  }
}

function usearchAnswer(
  m: { keys: BigUint64Array; distances: Float32Array },
  nq: number,
  k: number,
): { ids: number[][]; scores: number[][] } {
  return {
    ids: Array.from({ length: nq }, (_, q) => Array.from(m.keys.subarray(q * k, (q + 1) * k), Number)),
    scores: Array.from({ length: nq }, (_, q) => Array.from(m.distances.subarray(q * k, (q + 1) * k), (dist) => 1 - dist)),
  };
}

async function main(): Promise<void> {
  const opts = parse();
  if (!opts) {
    process.stdout.write(HELP);
    return;
  }
  console.log(
    `bench:search: k ${opts.k}, ${opts.queries} single queries and ${opts.batches} batches of ${opts.batch} per side, ` +
      `${opts.rounds} interleaved rounds; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on ${availableParallelism()} cores`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'search-bench-'));
  const t0 = performance.now();
  try {
    for (const n of opts.sizes) for (const d of opts.dims) await benchOne(opts, n, d, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (engineFallbackReason) console.log(`note: ${engineFallbackReason}`);
  const goal = opts.faiss ? `; goal: ours within ${GOAL_RATIO}x of FAISS at p50, identical top-${opts.k}` : '';
  console.log(`\ndone in ${((performance.now() - t0) / 1000).toFixed(0)} s${goal}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
