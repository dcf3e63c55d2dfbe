// A Studio on a test's own data folder, closed after the test.
import type { ScanProgress } from '../../../src-main/api/contract';
import { createStudio } from '../../../src-main/core/studio';
import type { Studio, StudioOptions } from '../../../src-main/core/studio-types';

const open: Studio[] = [];

export async function openStudio(dataDir: string, extra: Partial<StudioOptions> = {}): Promise<Studio> {
  const studio = await createStudio({ dataDir, host: 'web', ...extra });
  open.push(studio);
  return studio;
}

export async function closeStudios(): Promise<void> {
  await Promise.all(open.splice(0).map((s) => s.close()));
}

/** Adds a folder and waits for its scan; returns the folder id and the final progress. */
export async function addAndScan(studio: Studio, path: string): Promise<{ folderId: number; progress: ScanProgress }> {
  const folder = await studio.api.addFolder(path);
  const progress = await studio.waitForScan();
  if (!progress) throw new Error('addAndScan: expected a scan to run, got none');
  return { folderId: folder.id, progress };
}

export async function rescanAndWait(studio: Studio, folderId?: number): Promise<ScanProgress> {
  await studio.api.rescan(folderId);
  return (await studio.waitForScan())!;
}

/** relPath -> image, over every image (missing included) */
export async function imagesByPath(studio: Studio) {
  const page = await studio.api.listImages({ limit: 10_000, includeMissing: true });
  return new Map(page.items.map((i) => [i.relPath, i]));
}
