// EXIF capture date. EXIF dates carry no zone, so they stay wall-clock ISO 8601 ("2021-06-01T14:03:00"),
// with the offset appended only when the camera recorded one (OffsetTimeOriginal).
import exifr from 'exifr';

const EXIF_DATE = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;
const OFFSET = /^[+-]\d{2}:\d{2}$/;

export function exifDateToIso(value: unknown, offset?: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = EXIF_DATE.exec(value.trim());
  // Cameras write "0000:00:00 00:00:00" when the clock was never set.
  if (!m || m[1] === '0000' || m[2] === '00' || m[3] === '00') return null;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  return typeof offset === 'string' && OFFSET.test(offset.trim()) ? iso + offset.trim() : iso;
}

/** DateTimeOriginal, else CreateDate, of an image file's bytes; null when absent or unparsable. */
export async function readTakenAt(file: Buffer): Promise<string | null> {
  let tags: Record<string, unknown> | undefined;
  try {
    tags = await exifr.parse(file, {
      pick: ['DateTimeOriginal', 'CreateDate', 'OffsetTimeOriginal', 'OffsetTime'],
      reviveValues: false,
      translateValues: false,
    });
  } catch {
    // A damaged EXIF block is common and harmless: the image itself decodes, it just has no date.
    return null;
  }
  if (!tags) return null;
  return exifDateToIso(tags.DateTimeOriginal, tags.OffsetTimeOriginal) ?? exifDateToIso(tags.CreateDate, tags.OffsetTime);
}
