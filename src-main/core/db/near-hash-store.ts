// Reads and writes of the images' perceptual hashes (library/near-hash.ts). NULL means not
// computed yet (a library indexed before the hashes existed); an empty value means the picture
// could not be decoded for them, so it is not tried again until the file changes.
import type { Db } from './connection';

export interface PendingNearHash {
  id: number;
  path: string;
  hash: string;
}

export class NearHashStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      pending: db.prepare<[number, number], PendingNearHash>(
        'SELECT id, path, hash FROM images WHERE near_hash IS NULL AND missing = 0 AND id > ? ORDER BY id LIMIT ?',
      ),
      pendingCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM images WHERE near_hash IS NULL AND missing = 0'),
      // The content hash guards against a file that a scan rewrote while the hashes were computed.
      save: db.prepare<[Buffer, number, string]>('UPDATE images SET near_hash = ? WHERE id = ? AND hash = ? AND near_hash IS NULL'),
      all: db.prepare<[], { id: number; near_hash: Buffer }>(
        'SELECT id, near_hash FROM images WHERE missing = 0 AND near_hash IS NOT NULL AND length(near_hash) > 0',
      ),
      one: db.prepare<[number], { near_hash: Buffer | null }>('SELECT near_hash FROM images WHERE id = ?'),
    };
  }

  /** Present images without hashes and an id above `afterId`, oldest first. */
  pending(afterId: number, limit: number): PendingNearHash[] {
    return this.s.pending.all(afterId, limit);
  }

  pendingCount(): number {
    return this.s.pendingCount.get()!.n;
  }

  save(rows: readonly { id: number; hash: string; nearHash: Uint8Array }[]): void {
    this.db
      .transaction(() => {
        for (const r of rows) this.s.save.run(Buffer.from(r.nearHash.buffer, r.nearHash.byteOffset, r.nearHash.byteLength), r.id, r.hash);
      })
      .immediate();
  }

  /** Every present image's hashes, by image id. */
  all(): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const r of this.s.all.iterate() as IterableIterator<{ id: number; near_hash: Buffer }>) out.set(r.id, r.near_hash);
    return out;
  }

  /** One image's hashes: null when not computed yet, empty when they could not be. */
  of(id: number): Uint8Array | null {
    return this.s.one.get(id)?.near_hash ?? null;
  }
}
