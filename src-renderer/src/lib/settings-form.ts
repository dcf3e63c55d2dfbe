// Checks of what is typed into the Settings panel, in the units shown there, with the same
// bounds the app's API enforces (src-main/api/validate.ts).

export const PIXEL_LIMIT_MIN_MP = 1;
export const PIXEL_LIMIT_MAX_MP = 2000;

/** The pixel limit as shown: megapixels, at most one decimal. */
export function pixelLimitText(maxPixels: number): string {
  const mp = maxPixels / 1e6;
  return String(Math.round(mp * 10) / 10);
}

/** Megapixels as typed -> the limit in pixels, or the sentence saying what to fix. */
export function parsePixelLimit(raw: string): { pixels: number } | { error: string } {
  const text = raw.trim();
  const mp = Number(text);
  if (!text || !Number.isFinite(mp) || mp < PIXEL_LIMIT_MIN_MP || mp > PIXEL_LIMIT_MAX_MP) {
    return {
      error: `Pixel limit: expected a number of megapixels from ${PIXEL_LIMIT_MIN_MP} to ${PIXEL_LIMIT_MAX_MP}, got ${JSON.stringify(text)}`,
    };
  }
  return { pixels: Math.round(mp * 1e6) };
}
