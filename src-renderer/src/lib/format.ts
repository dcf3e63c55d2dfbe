// Human-readable numbers for the UI: sizes, rates, durations, dates.

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 -> "1.5 KB" (powers of 1024, one decimal below 10 units, none above). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** 12345 -> "12,345" (grouping independent of the machine's locale, so tests are stable). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const sign = n < 0 ? '-' : '';
  const [int, frac] = Math.abs(n).toString().split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return sign + grouped + (frac ? `.${frac}` : '');
}

/** Images per second: "42 img/s", "3.5 img/s", "0.25 img/s"; "—" before there is a rate. */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond == null || !Number.isFinite(perSecond) || perSecond <= 0) return '—';
  const digits = perSecond >= 100 ? 0 : perSecond >= 10 ? 1 : 2;
  return `${Number(perSecond.toFixed(digits))} img/s`;
}

/** Seconds -> "45 s", "3 min 05 s", "2 h 07 min"; null (unknown) -> "—". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const pad = (v: number) => String(v).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

/** "ETA 3 min 05 s", or "ETA —" while unknown; "less than a second" when about done. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds != null && Number.isFinite(seconds) && seconds >= 0 && seconds < 1) return 'ETA < 1 s';
  return `ETA ${formatDuration(seconds)}`;
}

/** ISO 8601 -> "2024-05-01 14:03" in local time; "—" for null or unparseable input. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (v: number) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Fraction done in [0, 1] for a progress bar; 0 while nothing is known. */
export function progressFraction(processed: number, found: number): number {
  if (!(found > 0) || !(processed >= 0)) return 0;
  return Math.min(1, processed / found);
}
