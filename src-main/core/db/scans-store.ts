// Scans as job rows, so that another process on the library sees that one runs (and how far it
// got, as of the last heartbeat). The scan itself writes images through its own connection.
import type { ForeignJob, ScanProgress } from '../../api/contract';
import type { Db } from './connection';
import { foreignOwner, JobRows, OWNER_COLUMNS, ownerValues, type OwnerColumns, type OwnerIdentity } from './job-owner';

interface ScanRow extends OwnerColumns {
  id: string;
  progress: string | null;
}

/** Finished scans kept (for nothing but a look in the file); older ones go when a scan starts. */
const KEEP = 20;

export class ScansStore {
  private readonly s;
  private readonly jobs: JobRows<string>;

  constructor(
    private readonly db: Db,
    private readonly me: OwnerIdentity,
  ) {
    this.jobs = new JobRows(db, 'scans', me);
    this.s = {
      insert: db.prepare<[string, string, string, string, string, ...ReturnType<typeof ownerValues>]>(
        `INSERT INTO scans (id, folder_ids, status, progress, created_at, updated_at, ${OWNER_COLUMNS}) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      prune: db.prepare<[number]>(
        `DELETE FROM scans WHERE status != 'running' AND id NOT IN (SELECT id FROM scans WHERE status != 'running' ORDER BY created_at DESC LIMIT ?)`,
      ),
      progress: db.prepare<[string, number, string, string, string]>(
        `UPDATE scans SET progress = ?, heartbeat_at = ?, updated_at = ? WHERE id = ? AND owner_id = ? AND status = 'running'`,
      ),
      end: db.prepare<[string, string, string, string, string]>(
        `UPDATE scans SET status = ?, progress = ?, updated_at = ? WHERE id = ? AND owner_id = ?`,
      ),
      running: db.prepare<[], ScanRow>(`SELECT id, progress, ${OWNER_COLUMNS} FROM scans WHERE status = 'running' ORDER BY created_at`),
    };
  }

  begin(p: ScanProgress): void {
    const at = new Date().toISOString();
    this.db
      .transaction(() => {
        this.s.prune.run(KEEP);
        this.s.insert.run(p.jobId, JSON.stringify(p.folderIds), JSON.stringify(p), at, at, ...ownerValues(this.me));
      })
      .immediate();
  }

  /** The heartbeat of a running scan, with its progress; false once the row is not this process's. */
  beat(p: ScanProgress): boolean {
    const now = Date.now();
    return this.s.progress.run(JSON.stringify(p), now, new Date(now).toISOString(), p.jobId, this.me.id).changes > 0;
  }

  end(p: ScanProgress): void {
    this.s.end.run(p.phase, JSON.stringify(p), new Date().toISOString(), p.jobId, this.me.id);
  }

  /** Scans that run in other processes now (those of gone processes become interrupted). */
  foreign(): ForeignJob[] {
    const gone = this.jobs.reconcile();
    const out: ForeignJob[] = [];
    for (const r of this.s.running.all()) {
      const owner = foreignOwner(r, this.me);
      if (!owner || gone.has(r.id)) continue;
      out.push({ job: 'scan', id: r.id, owner, progress: r.progress ? (JSON.parse(r.progress) as ScanProgress) : null });
    }
    return out;
  }
}
