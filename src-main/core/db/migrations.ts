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
  {
    description: 'curation (excluded images, tags) and embedding sets',
    sql: `
      ALTER TABLE images ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0;

      CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE
      );
      CREATE TABLE image_tags (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        PRIMARY KEY (image_id, tag_id)
      ) WITHOUT ROWID;
      CREATE INDEX image_tags_tag ON image_tags(tag_id, image_id);

      -- One set per encoder: a run's checkpoint at a given step.
      CREATE TABLE embedding_sets (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        checkpoint_step INTEGER NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        engine TEXT NOT NULL,
        feature_dim INTEGER NOT NULL,
        out_dim INTEGER NOT NULL,
        input_size INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        error TEXT,
        UNIQUE (run_id, checkpoint_step)
      );
      -- float32 little-endian vectors; 'hash' is the image content the vectors were computed
      -- from, so a changed file is stale. Rows of a few KB: a rowid table, not WITHOUT ROWID.
      CREATE TABLE embeddings (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES embedding_sets(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        features BLOB NOT NULL,
        embedding BLOB NOT NULL,
        UNIQUE (set_id, image_id)
      );
      CREATE INDEX embeddings_image ON embeddings(image_id);
    `,
  },
  {
    description: 'probes (linear classification protocol, kNN) and their test predictions',
    sql: `
      CREATE TABLE probes (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        config TEXT NOT NULL,
        classes TEXT NOT NULL DEFAULT '[]',
        left_out TEXT NOT NULL DEFAULT '[]',
        results TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        error TEXT
      );
      -- One row per test image and evaluation, so a confusion-matrix cell lists its images.
      CREATE TABLE probe_predictions (
        probe_id INTEGER NOT NULL REFERENCES probes(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        method TEXT NOT NULL,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        true_class INTEGER NOT NULL,
        predicted_class INTEGER NOT NULL,
        PRIMARY KEY (probe_id, model, method, image_id)
      ) WITHOUT ROWID;
      CREATE INDEX probe_cells ON probe_predictions(probe_id, model, method, true_class, predicted_class);
    `,
  },
  {
    description: 'job owners (process, start time, heartbeat) on runs, embedding sets and probes; scans as rows',
    sql: `
      -- The process running a job (see db/job-owner.ts): its owner id, pid, start time, machine,
      -- kind (cli, web, electron) and a heartbeat in ms since the epoch.
      ALTER TABLE runs ADD COLUMN owner_id TEXT;
      ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
      ALTER TABLE runs ADD COLUMN owner_start TEXT;
      ALTER TABLE runs ADD COLUMN owner_host TEXT;
      ALTER TABLE runs ADD COLUMN owner_kind TEXT;
      ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
      ALTER TABLE embedding_sets ADD COLUMN owner_id TEXT;
      ALTER TABLE embedding_sets ADD COLUMN owner_pid INTEGER;
      ALTER TABLE embedding_sets ADD COLUMN owner_start TEXT;
      ALTER TABLE embedding_sets ADD COLUMN owner_host TEXT;
      ALTER TABLE embedding_sets ADD COLUMN owner_kind TEXT;
      ALTER TABLE embedding_sets ADD COLUMN heartbeat_at INTEGER;
      ALTER TABLE probes ADD COLUMN owner_id TEXT;
      ALTER TABLE probes ADD COLUMN owner_pid INTEGER;
      ALTER TABLE probes ADD COLUMN owner_start TEXT;
      ALTER TABLE probes ADD COLUMN owner_host TEXT;
      ALTER TABLE probes ADD COLUMN owner_kind TEXT;
      ALTER TABLE probes ADD COLUMN heartbeat_at INTEGER;
      CREATE TABLE scans (
        id TEXT PRIMARY KEY,
        folder_ids TEXT NOT NULL,
        status TEXT NOT NULL,
        progress TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        owner_id TEXT,
        owner_pid INTEGER,
        owner_start TEXT,
        owner_host TEXT,
        owner_kind TEXT,
        heartbeat_at INTEGER
      );
      CREATE INDEX scans_status ON scans(status);
      `,
  },
  {
    description: 'perceptual hashes for near-duplicates (NULL: not computed yet, empty: could not be)',
    sql: `
      ALTER TABLE images ADD COLUMN near_hash BLOB;
    `,
  },
  {
    // Vectors of images that can carry transparency were computed with it dropped (black
    // underneath, as most PNGs store it) and differ from what decoding gives now: marked stale
    // (no current hash), they leave search until "Embed N new" computes them again. JPEG has no
    // alpha, so those vectors stay.
    description: 'decoding flattens transparency onto white: vectors of non-JPEG images are stale',
    sql: `
      UPDATE embeddings SET hash = '' WHERE image_id IN (SELECT id FROM images WHERE format <> 'jpeg');
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;
