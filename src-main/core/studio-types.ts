// What the core offers every host: the API (less what only a host can do), events, and
// image bytes for thumbnails and previews. Hosts adapt this; they add nothing of their own
// but pickFolder.
import type { Api, ApiEventName, ApiEvents, Folder, HostKind, ScanProgress, Unsubscribe } from '../api/contract';

export type CoreApi = Omit<Api, 'pickFolder'>;

/** What the host that opens the studio can do: the core reads these, never the host's name. */
export interface HostCapabilities {
  /** how messages name the host: 'desktop app', 'web host', 'command line' */
  label: string;
  /** watch added folders while the process runs (a one-shot command does not) */
  watchFolders: boolean;
  /** moves a file to the OS trash; absent: trashImages is refused */
  trash?: (path: string) => Promise<void>;
}

/** What each kind of host can do, for callers that pass none (tests, embedders). */
export const DEFAULT_CAPABILITIES: Readonly<Record<HostKind, HostCapabilities>> = {
  electron: { label: 'desktop app', watchFolders: true },
  web: { label: 'web host', watchFolders: true },
  cli: { label: 'command line', watchFolders: false },
};

export interface StudioOptions {
  dataDir: string;
  /** the kind of host, as the status and job rows record it */
  host: HostKind;
  /** what the host can do (default: DEFAULT_CAPABILITIES[host]) */
  capabilities?: HostCapabilities;
  /** defaults to dbPathIn(dataDir) */
  dbPath?: string;
  /** folder added on first start so a new user sees something; null for none */
  demoFolder?: string | null;
  appVersion?: string;
  /**
   * Open the database to read only (commands that only look): it must exist, nothing is created
   * or written, and calls that would write are refused.
   */
  readOnly?: boolean;
  /** with readOnly: a database that does not exist yet reads as an empty library (still nothing is created) */
  emptyIfMissing?: boolean;
  /** libraries with at least this many embedded images use the approximate index when the setting is on (default APPROX_MIN_IMAGES) */
  approxMinImages?: number;
}

/** A file on disk to send as the response body. */
export interface MediaFile {
  path: string;
  contentType: string;
}

export interface Studio {
  readonly api: CoreApi;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): Unsubscribe;
  /** the cached ~256 px WebP thumbnail of a library image, made on demand if absent */
  thumbnail(imageId: number): Promise<MediaFile>;
  /** a large preview (longest side `maxSize`), EXIF orientation applied */
  preview(imageId: number, maxSize?: number): Promise<{ body: Buffer; contentType: string }>;
  /** the library folder at `path`, matched by its own name or the one its links lead to */
  findFolder(path: string): Promise<Folder | undefined>;
  /** adds a folder not in the library yet and rescans one that is; the scan runs on after this resolves */
  addOrRescan(path: string): Promise<{ folder: Folder; added: boolean }>;
  /** resolves when the running scan (if any) ends, with its last progress */
  waitForScan(): Promise<ScanProgress | null>;
  /** resolves when the running embedding pass (if any) has ended and its set is final */
  waitForEmbedding(): Promise<void>;
  /** resolves when the running probe (if any) has ended and its row is final */
  waitForProbe(): Promise<void>;
  close(): Promise<void>;
}
