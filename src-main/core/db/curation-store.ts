// What the user decides about images: excluded from training, evaluation and export, and
// tags (which can serve as labels). Bulk changes run in one transaction.
import type { TagCount } from '../../api/contract';
import type { Db } from './connection';

export class CurationStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      setExcluded: db.prepare<[number, number, number]>('UPDATE images SET excluded = ? WHERE id = ? AND excluded != ?'),
      insertTag: db.prepare<[string]>('INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING'),
      tagId: db.prepare<[string], { id: number }>('SELECT id FROM tags WHERE name = ?'),
      tag: db.prepare<[number, number]>('INSERT INTO image_tags (image_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      untag: db.prepare<[number, number]>('DELETE FROM image_tags WHERE image_id = ? AND tag_id = ?'),
      dropUnused: db.prepare<[{ id: number }]>(
        'DELETE FROM tags WHERE id = @id AND NOT EXISTS (SELECT 1 FROM image_tags WHERE tag_id = @id)',
      ),
      tags: db.prepare<[], TagCount>(
        `SELECT t.name AS name, COUNT(i.id) AS count FROM tags t
         JOIN image_tags it ON it.tag_id = t.id JOIN images i ON i.id = it.image_id AND i.missing = 0
         GROUP BY t.id ORDER BY t.name`,
      ),
      labels: db.prepare<[], { imageId: number; tag: string }>(
        'SELECT it.image_id AS imageId, t.name AS tag FROM image_tags it JOIN tags t ON t.id = it.tag_id ORDER BY it.image_id, t.name',
      ),
      existing: db.prepare<[number], { id: number }>('SELECT id FROM images WHERE id = ?'),
    };
  }

  /** The ids among `ids` that are not in the library. */
  unknownIds(ids: readonly number[]): number[] {
    return ids.filter((id) => !this.s.existing.get(id));
  }

  setExcluded(ids: readonly number[], excluded: boolean): number {
    const v = Number(excluded);
    return this.db.transaction(() => ids.reduce((n, id) => n + this.s.setExcluded.run(v, id, v).changes, 0)).immediate();
  }

  tagImages(ids: readonly number[], name: string): number {
    return this.db
      .transaction(() => {
        this.s.insertTag.run(name);
        const tagId = this.s.tagId.get(name)!.id;
        return ids.reduce((n, id) => n + this.s.tag.run(id, tagId).changes, 0);
      })
      .immediate();
  }

  untagImages(ids: readonly number[], name: string): number {
    return this.db
      .transaction(() => {
        const tag = this.s.tagId.get(name);
        if (!tag) return 0;
        const n = ids.reduce((sum, id) => sum + this.s.untag.run(id, tag.id).changes, 0);
        this.s.dropUnused.run({ id: tag.id });
        return n;
      })
      .immediate();
  }

  /** Tags with the number of present images carrying each. */
  listTags(): TagCount[] {
    return this.s.tags.all();
  }

  /** Every (image, tag) pair, for labels from tags. */
  tagPairs(): { imageId: number; tag: string }[] {
    return this.s.labels.all();
  }
}
