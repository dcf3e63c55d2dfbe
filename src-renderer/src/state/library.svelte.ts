// What the app knows about the library: status, folders, settings, the running scan and the
// watcher, kept fresh from the app's events. `version` bumps after each (debounced) change and
// each curation change, so lists elsewhere know to reload.
import type { Folder, LibraryStatus, ScanProgress, Settings, WatchStatus } from '$contract';
import { debounce } from '../lib/debounce';
import { isScanActive } from '../lib/scan-text';
import { api, ApiStore, type ClientSource, type UiClient } from './client';
import { attempt, reportFailedJob } from './errors.svelte';
import { selection } from './selection.svelte';

export class LibraryStore extends ApiStore {
  status = $state<LibraryStatus | null>(null);
  folders = $state<Folder[]>([]);
  settings = $state<Settings | null>(null);
  scan = $state<ScanProgress | null>(null);
  watch = $state<WatchStatus | null>(null);
  connection = $state<'connecting' | 'open' | 'closed'>('open');
  version = $state(0);
  loaded = $state(false);

  private readonly changed = debounce(() => void this.refresh(), 400, 2000);

  get scanning(): boolean {
    return isScanActive(this.scan);
  }

  constructor(client: ClientSource) {
    super(client);
  }

  protected listen(client: UiClient): void {
    client.on('scan.progress', (p) => this.onScanProgress(p));
    client.on('library.changed', () => this.changed());
    // Lists showing an image's tags or excluded mark reload; the folders' counts stay as they are.
    client.on('curation.changed', () => this.version++);
    client.on('watch.status', (w) => {
      this.watch = w;
    });
    client.onConnectionChange?.((state) => {
      this.connection = state;
      // Events may have been missed while the socket was down.
      if (state === 'open') void this.refresh();
    });
    void this.refresh();
    void attempt('Loading settings', async () => {
      this.settings = await client.getSettings();
    });
  }

  async refresh(): Promise<void> {
    await this.load(
      'Loading the library',
      (c) => Promise.all([c.getStatus(), c.listFolders()]),
      (r) => this.applyStatus(...r),
    );
  }

  private applyStatus(status: LibraryStatus, folders: Folder[]): void {
    this.status = status;
    this.folders = folders;
    this.watch = status.watch;
    // A scan that ended while nobody listened still shows its outcome; a newer event wins.
    if (status.scan && (!this.scan || status.scan.jobId !== this.scan.jobId || status.scan.elapsedMs >= this.scan.elapsedMs)) {
      this.scan = status.scan;
    }
    this.loaded = true;
    this.version++;
  }

  private onScanProgress(p: ScanProgress): void {
    const wasActive = this.scanning;
    this.scan = p;
    reportFailedJob(p, 'Scan', 'the scan');
    if (wasActive && !isScanActive(p)) {
      this.changed.cancel();
      void this.refresh();
    }
  }

  dismissScan(): void {
    if (!this.scanning) this.scan = null;
  }

  async addFolder(path: string): Promise<Folder | undefined> {
    const folder = await attempt('Adding a folder', () => this.client().addFolder(path));
    if (folder) await this.refresh();
    return folder;
  }

  async chooseFolder(): Promise<string | null | undefined> {
    return attempt('Choosing a folder', () => this.client().pickFolder());
  }

  async removeFolder(id: number): Promise<void> {
    // The open image goes with its folder; close it rather than ask for what no longer exists.
    if (selection.folderId === id) selection.select(null);
    const ok = await attempt('Removing a folder', async () => {
      await this.client().removeFolder(id);
      return true;
    });
    if (ok) await this.refresh();
  }

  async rescan(folderId?: number): Promise<void> {
    const p = await attempt('Rescanning', () => this.client().rescan(folderId));
    if (p) this.scan = p;
  }

  async cancelScan(): Promise<void> {
    await attempt('Cancelling the scan', () => this.client().cancelScan());
  }

  async purgeMissing(): Promise<number | undefined> {
    const r = await attempt('Purging missing images', () => this.client().purgeMissing());
    if (r) await this.refresh();
    return r?.purged;
  }

  async updateSettings(patch: Partial<Settings>): Promise<void> {
    const s = await attempt('Saving settings', () => this.client().updateSettings(patch));
    // On failure, reload so the controls show what the app really has.
    this.settings = s ?? (await attempt('Loading settings', () => this.client().getSettings())) ?? this.settings;
  }
}

export const createLibraryStore = (client: ClientSource): LibraryStore => new LibraryStore(client);

export const library = createLibraryStore(api);
