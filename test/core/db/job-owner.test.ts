// Which jobs belong to a live process: the pid, its start time and the heartbeat decide; two
// owners on one database cannot both take a run or an embedding set.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../../src-main/api/contract';
import { openDatabase } from '../../../src-main/core/db/connection';
import { EmbeddingsStore } from '../../../src-main/core/db/embeddings-store';
import { Lease, LEASE_MS, newOwner, ownerGone, processStartTime, type OwnerColumns } from '../../../src-main/core/db/job-owner';
import { RunsStore } from '../../../src-main/core/db/runs-store';
import { tempDir } from '../fixtures';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const me = newOwner('cli');
const row = (o: Partial<OwnerColumns>): OwnerColumns => ({
  owner_id: 'other',
  owner_pid: process.pid,
  owner_start: processStartTime(process.pid),
  owner_host: hostname(),
  owner_kind: 'web',
  heartbeat_at: Date.now(),
  ...o,
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

const newRun = { name: 'r', config: { epochs: 1 } as TrainConfig, backend: 'wasm', totalSteps: 10, images: 8 };

describe('job owners', () => {
  it('a live process with its own start time owns its jobs; a dead, reused or unknown one does not', async () => {
    expect(processStartTime(process.pid)).toMatch(/^\d+$/);
    expect(ownerGone(row({}), me)).toBe(false);
    // The pid decides on this machine: a stale heartbeat of a live process (say, one that slept) is kept.
    expect(ownerGone(row({ heartbeat_at: Date.now() - 10 * LEASE_MS }), me)).toBe(false);
    expect(ownerGone(row({ owner_pid: await deadPid() }), me)).toBe(true);
    // The same pid, started at another time: a reused pid.
    expect(ownerGone(row({ owner_start: '1' }), me)).toBe(true);
    // Rows from before owners were recorded.
    expect(ownerGone(row({ owner_id: null, owner_pid: null }), me)).toBe(true);
    // Another machine sharing the folder: only the lease can tell.
    expect(ownerGone(row({ owner_host: 'elsewhere' }), me)).toBe(false);
    expect(ownerGone(row({ owner_host: 'elsewhere', heartbeat_at: Date.now() - 2 * LEASE_MS }), me)).toBe(true);
    // Its own rows, whatever the heartbeat.
    expect(ownerGone(row({ owner_id: me.id, heartbeat_at: 0 }), me)).toBe(false);
  });

  it("two owners on one database: the second sees the first one's run running and cannot claim it or its set", () => {
    const path = join(dir, 'library.db');
    const dbA = openDatabase(path);
    const dbB = openDatabase(path);
    const a = new RunsStore(dbA, newOwner('web'));
    const b = new RunsStore(dbB, newOwner('cli'));
    const run = a.create(newRun);
    expect(b.markInterrupted()).toBe(0);
    const seen = b.get(run.id)!;
    expect(seen.status).toBe('running');
    expect(seen.owner).toEqual({ pid: process.pid, kind: 'web', hostname: hostname() });
    expect(a.get(run.id)!.owner).toBeUndefined(); // its own
    expect(b.claim(run.id, ['paused', 'interrupted'])).toBe(false);
    expect(b.foreignJobs()).toEqual([{ id: run.id, owner: seen.owner }]);

    a.update(run.id, { status: 'paused' });
    expect(b.claim(run.id, ['paused', 'interrupted'])).toBe(true);
    expect(a.get(run.id)!.owner).toMatchObject({ kind: 'cli' });
    expect(a.claim(run.id, ['paused', 'interrupted'])).toBe(false);

    const setsA = new EmbeddingsStore(dbA, a.me);
    const setsB = new EmbeddingsStore(dbB, b.me);
    const setId = setsA.create({ runId: run.id, checkpointStep: 1, name: 's', featureDim: 4, outDim: 2, inputSize: 16 });
    expect(setsA.claim(setId)).toBe(true);
    expect(setsB.claim(setId)).toBe(false);
    expect(setsB.get(setId)).toMatchObject({ status: 'running', owner: { kind: 'web' } });
    dbA.close();
    dbB.close();
  });

  it('a run whose process died reads interrupted, and a read-only connection says so without writing', async () => {
    const path = join(dir, 'library.db');
    const db = openDatabase(path);
    const ghost = { ...newOwner('cli'), id: 'ghost', pid: await deadPid() };
    const run = new RunsStore(db, ghost).create(newRun);
    const ro = new Database(path, { readonly: true });
    expect(new RunsStore(ro, me).get(run.id)!.status).toBe('interrupted');
    expect(db.prepare('SELECT status FROM runs WHERE id = ?').get(run.id)).toEqual({ status: 'running' });
    ro.close();
    expect(new RunsStore(db, me).list()[0].status).toBe('interrupted');
    expect(db.prepare('SELECT status FROM runs WHERE id = ?').get(run.id)).toEqual({ status: 'interrupted' });
    db.close();
  });

  it('a lease keeps the heartbeat fresh and says when the row was taken', async () => {
    const db = openDatabase(join(dir, 'library.db'));
    const runs = new RunsStore(db, me);
    const run = runs.create(newRun);
    db.prepare('UPDATE runs SET heartbeat_at = 0 WHERE id = ?').run(run.id);
    let lost = 0;
    const lease = new Lease(
      () => runs.heartbeat(run.id),
      () => lost++,
      20,
    );
    await new Promise((r) => setTimeout(r, 80));
    expect((db.prepare('SELECT heartbeat_at AS t FROM runs WHERE id = ?').get(run.id) as { t: number }).t).toBeGreaterThan(
      Date.now() - 1000,
    );
    db.prepare("UPDATE runs SET owner_id = 'someone else' WHERE id = ?").run(run.id);
    await new Promise((r) => setTimeout(r, 80));
    expect(lost).toBe(1);
    lease.stop();
    db.close();
  });
});
