// Numbered schema migrations. Index i holds the step from user_version i to i+1; each runs in
// one transaction together with its user_version bump. Never edit a released step: add one.
// Image ids are stable (a moved file keeps its row), so later tables can reference images(id).

export interface Migration {
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'folders, images, problems, settings',
    sql: `
      CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        added_at TEXT NOT NULL,
        last_scan_at TEXT,
        available INTEGER NOT NULL DEFAULT 1,
        dir_count INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        path TEXT NOT NULL UNIQUE,
        rel_path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        hash TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        format TEXT NOT NULL,
        taken_at TEXT,
        orientation INTEGER,
        missing INTEGER NOT NULL DEFAULT 0,
        indexed_at TEXT NOT NULL,
        thumb_ok INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX images_folder ON images(folder_id, missing);
      CREATE INDEX images_hash ON images(hash);
      -- One index per list order (library-store.ts ORDER_BY), so a page deep into 100,000
      -- images is read from the index instead of sorting the table.
      CREATE INDEX images_taken ON images(taken_at IS NULL, taken_at DESC, path, id);
      CREATE INDEX images_size ON images(size DESC, id);
      CREATE INDEX images_indexed ON images(indexed_at DESC, id DESC);

      CREATE TABLE problems (
        id INTEGER PRIMARY KEY,
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        path TEXT NOT NULL UNIQUE,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        size INTEGER,
        mtime_ms REAL,
        at TEXT NOT NULL
      );
      CREATE INDEX problems_folder ON problems(folder_id);

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    description: 'training runs and their metrics history',
    sql: `
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        config TEXT NOT NULL,
        backend TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        step INTEGER NOT NULL DEFAULT 0,
        total_steps INTEGER NOT NULL DEFAULT 0,
        epoch INTEGER NOT NULL DEFAULT 0,
        images INTEGER NOT NULL DEFAULT 0,
        final_loss REAL,
        final_accuracy REAL,
        knn_accuracy REAL,
        error TEXT
      );

      CREATE TABLE run_metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        loss REAL NOT NULL,
        lr REAL NOT NULL,
        accuracy REAL NOT NULL,
        images_per_sec REAL NOT NULL,
        knn_accuracy REAL,
        PRIMARY KEY (run_id, step)
      ) WITHOUT ROWID;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;
