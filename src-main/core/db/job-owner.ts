// Who runs a job. The CLI, the web host and the desktop app may share one library, so a job row
// ('running' training runs, embedding sets, probes and scans) names the process that owns it:
// an owner id (one per opened library), the pid, the process start time and a heartbeat. A job
// becomes 'interrupted' only once its owner is gone; a live owner's job is shown as running in
// another process and cannot be taken over.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { HostKind, JobOwner } from '../../api/contract';
import type { Db } from './connection';

/** How often an owner refreshes the heartbeat of the jobs it runs. */
export const HEARTBEAT_MS = 5_000;
/**
 * A heartbeat this old means the owner is gone where its pid cannot tell: a process on another
 * machine sharing the folder, or a platform without a process start time to rule out a reused
 * pid. Where the pid and its start time can be checked they decide, so a machine that slept
 * for an hour does not lose its runs.
 */
export const LEASE_MS = 12 * HEARTBEAT_MS;

export interface OwnerIdentity {
  id: string;
  pid: number;
  /** the process start time (Linux: clock ticks after boot, from /proc); null where unknown */
  start: string | null;
  host: string;
  kind: HostKind | null;
}

/** The columns every job table has (see migrations.ts). */
export interface OwnerColumns {
  owner_id: string | null;
  owner_pid: number | null;
  owner_start: string | null;
  owner_host: string | null;
  owner_kind: string | null;
  heartbeat_at: number | null;
}

export const OWNER_COLUMNS = 'owner_id, owner_pid, owner_start, owner_host, owner_kind, heartbeat_at';

export type JobTable = 'runs' | 'embedding_sets' | 'probes' | 'scans';

interface ProcStat {
  state: string;
  start: string;
}

/** /proc/<pid>/stat: the state (field 3) and the start time (field 22); null off Linux. */
function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields.length > 19 ? { state: fields[0], start: fields[19] } : null;
}

export function processStartTime(pid: number): string | null {
  return procStat(pid)?.start ?? null;
}

export function newOwner(kind: HostKind | null): OwnerIdentity {
  return { id: randomUUID(), pid: process.pid, start: processStartTime(process.pid), host: hostname(), kind };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, it belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (killed, not yet reaped by its parent) runs nothing any more.
  return procStat(pid)?.state !== 'Z';
}

/** Whether the process that owns a row is gone (its job can then only be interrupted). */
export function ownerGone(row: OwnerColumns, me: OwnerIdentity, now = Date.now()): boolean {
  // Rows written before owners were recorded, or claimed by nobody.
  if (row.owner_id === null || row.owner_pid === null) return true;
  if (row.owner_id === me.id) return false;
  const stale = row.heartbeat_at === null || now - row.heartbeat_at > LEASE_MS;
  if (row.owner_host !== me.host) return stale;
  if (!pidAlive(row.owner_pid)) return true;
  if (row.owner_start !== null) {
    const start = processStartTime(row.owner_pid);
    if (start !== null) return start !== row.owner_start;
  }
  return stale;
}

/** The owner as the API shows it, when it is another process (null for this one or none). */
export function foreignOwner(row: OwnerColumns, me: OwnerIdentity): JobOwner | null {
  if (row.owner_id === null || row.owner_pid === null || row.owner_id === me.id) return null;
  const kind = row.owner_kind === 'cli' || row.owner_kind === 'web' || row.owner_kind === 'electron' ? row.owner_kind : null;
  return { pid: row.owner_pid, kind, hostname: row.owner_host ?? '' };
}

/**
 * A job row's status as the API shows it ('interrupted' once its process is gone) and, while it
 * runs in another process, that process.
 */
export function jobView<Id, S extends string>(
  r: OwnerColumns & { id: Id; status: S },
  me: OwnerIdentity | undefined,
  gone: ReadonlySet<Id>,
): { status: S | 'interrupted'; owner: JobOwner | null } {
  const status = r.status === 'running' && gone.has(r.id) ? 'interrupted' : r.status;
  return { status, owner: status === 'running' && me ? foreignOwner(r, me) : null };
}

/** "process 1234 (command line)" */
export function describeOwner(owner: JobOwner, me?: OwnerIdentity): string {
  const kind = owner.kind === 'cli' ? 'command line' : owner.kind === 'web' ? 'web host' : owner.kind === 'electron' ? 'desktop app' : null;
  const where = me && owner.hostname && owner.hostname !== me.host ? ` on ${owner.hostname}` : '';
  return `process ${owner.pid}${kind ? ` (${kind})` : ''}${where}`;
}

/** The values that claim a row for `me`, in OWNER_COLUMNS order. */
export function ownerValues(me: OwnerIdentity, now = Date.now()): [string, number, string | null, string, string | null, number] {
  return [me.id, me.pid, me.start, me.host, me.kind, now];
}

/**
 * The job rows of one table seen from one process: marks those whose owner is gone interrupted
 * (or, on a read-only connection, says which they are), refreshes the heartbeat of its own.
 */
export class JobRows<Id extends number | string> {
  private readonly s;

  constructor(
    private readonly db: Db,
    table: JobTable,
    readonly me: OwnerIdentity,
  ) {
    this.s = {
      running: db.prepare<[], { id: Id } & OwnerColumns>(`SELECT id, ${OWNER_COLUMNS} FROM ${table} WHERE status = 'running'`),
      // Guarded by the owner read, so a row claimed again meanwhile is left alone.
      interrupt: db.readonly
        ? null
        : db.prepare<[string, Id, string | null]>(
            `UPDATE ${table} SET status = 'interrupted', updated_at = ? WHERE id = ? AND status = 'running' AND owner_id IS ?`,
          ),
      beat: db.readonly
        ? null
        : db.prepare<[number, Id, string]>(`UPDATE ${table} SET heartbeat_at = ? WHERE id = ? AND owner_id = ? AND status = 'running'`),
    };
  }

  /** Marks the running rows of gone owners interrupted; returns their ids (also when it cannot write). */
  reconcile(): Set<Id> {
    const rows = this.s.running.all();
    const gone = new Set<Id>();
    for (const r of rows) if (ownerGone(r, this.me)) gone.add(r.id);
    if (gone.size && this.s.interrupt) {
      const at = new Date().toISOString();
      this.db
        .transaction(() => {
          for (const r of rows) if (gone.has(r.id)) this.s.interrupt!.run(at, r.id, r.owner_id);
        })
        .immediate();
    }
    return gone;
  }

  /** The running rows of other live processes. */
  foreign(): { id: Id; owner: JobOwner }[] {
    const gone = this.reconcile();
    return this.s.running.all().flatMap((r) => {
      const owner = foreignOwner(r, this.me);
      return owner && !gone.has(r.id) ? [{ id: r.id, owner }] : [];
    });
  }

  /** Refreshes this process's heartbeat on a row; false when the row is no longer its own. */
  heartbeat(id: Id): boolean {
    return this.s.beat ? this.s.beat.run(Date.now(), id, this.me.id).changes > 0 : false;
  }
}

/**
 * Keeps a job's heartbeat fresh while it runs (the timer does not keep the process alive). A beat
 * that finds the row taken (another process judged this one gone) calls onLost once.
 */
export class Lease {
  private timer: NodeJS.Timeout | null;

  constructor(beat: () => boolean, onLost: () => void, periodMs = HEARTBEAT_MS) {
    this.timer = setInterval(() => {
      let held: boolean;
      try {
        held = beat();
      } catch {
        // Busy past the timeout (a long write elsewhere): the next beat tries again, well
        // within the lease.
        return;
      }
      if (!held) {
        this.stop();
        onLost();
      }
    }, periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
