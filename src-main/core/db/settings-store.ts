// Settings as key/value JSON rows, read over the defaults so a new key needs no migration.
import type { Settings } from '../../api/contract';
import type { Db } from './connection';

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  skipHidden: true,
  watch: false,
  thumbnailSize: 256,
  // sharp's own default limit (16383 x 16383)
  maxPixels: 268_402_689,
  approximateSearch: false,
  computeBackend: 'auto',
  followOutsideLinks: false,
};

const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];

export class SettingsStore {
  private readonly getStmt;
  private readonly allStmt;
  private readonly putStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
    this.allStmt = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings');
    this.putStmt = db.prepare<[string, string]>(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
  }

  getSettings(): Settings {
    const out: Settings = { ...DEFAULT_SETTINGS };
    for (const { key, value } of this.allStmt.all()) {
      if (!(SETTING_KEYS as string[]).includes(key)) continue;
      const k = key as keyof Settings;
      const parsed: unknown = JSON.parse(value);
      // A value of the wrong type (hand-edited file) keeps the default rather than poisoning the app.
      if (typeof parsed === typeof DEFAULT_SETTINGS[k]) (out as unknown as Record<string, unknown>)[k] = parsed;
    }
    return out;
  }

  updateSettings(patch: Partial<Settings>): Settings {
    this.db
      .transaction(() => {
        for (const k of SETTING_KEYS) {
          if (patch[k] !== undefined) this.putStmt.run(k, JSON.stringify(patch[k]));
        }
      })
      .immediate();
    return this.getSettings();
  }

  /** app-internal flags (not part of Settings), e.g. whether the demo folder was offered */
  getFlag(key: string): unknown {
    const row = this.getStmt.get(key);
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  setFlag(key: string, value: unknown): void {
    this.putStmt.run(key, JSON.stringify(value));
  }
}
