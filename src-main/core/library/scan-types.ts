// What passes between the host side of a scan and the worker that runs it.
import type { ScanProgress, Settings } from '../../api/contract';

export interface ScanRequest {
  jobId: string;
  dbPath: string;
  dataDir: string;
  folderIds: number[];
  settings: Settings;
  /** files in flight at once */
  concurrency: number;
}

export type WorkerMessage =
  | { type: 'progress'; progress: ScanProgress }
  /** rows were committed: the library changed */
  | { type: 'committed'; rows: number }
  | { type: 'done'; progress: ScanProgress };

export type HostMessage = { type: 'cancel' };
