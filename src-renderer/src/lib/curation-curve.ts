// The near-duplicate slider: a live group count while it moves, read from the curve the app
// sent with the last answer (group counts at many thresholds), so dragging costs no calls.

export interface CurvePoint {
  threshold: number;
  groups: number;
}

export const THRESHOLD_MIN = 0.8;
export const THRESHOLD_MAX = 1;
export const THRESHOLD_STEP = 0.005;

/** A slider value on the step grid and within the slider's range. */
export function snapThreshold(value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`snapThreshold: expected a number, got ${value}`);
  const steps = Math.round((value - THRESHOLD_MIN) / THRESHOLD_STEP);
  const snapped = THRESHOLD_MIN + steps * THRESHOLD_STEP;
  return Math.min(THRESHOLD_MAX, Math.max(THRESHOLD_MIN, Number(snapped.toFixed(3))));
}

export interface CurveReading {
  groups: number;
  /** the curve's own threshold the count belongs to */
  at: number;
  /** the curve has a point at this very threshold */
  exact: boolean;
}

/**
 * The group count at `threshold`: the curve's point there, else its nearest point (a tie goes
 * to the higher threshold). Null for an empty curve. `curve` must be sorted by ascending threshold, as the app sends it.
 */
export function groupsAt(curve: readonly CurvePoint[], threshold: number): CurveReading | null {
  if (curve.length === 0) return null;
  let lo = 0;
  let hi = curve.length - 1;
  // Binary search for the first point at or above the threshold.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (curve[mid].threshold < threshold) lo = mid + 1;
    else hi = mid;
  }
  const above = curve[lo];
  const below = lo > 0 ? curve[lo - 1] : null;
  const eps = 1e-9;
  if (Math.abs(above.threshold - threshold) < eps) return { groups: above.groups, at: above.threshold, exact: true };
  const pick = below && threshold - below.threshold < above.threshold - threshold ? below : above;
  if (above.threshold < threshold) return { groups: above.groups, at: above.threshold, exact: false };
  return { groups: pick.groups, at: pick.threshold, exact: false };
}

/** "12 groups", "≈ 12 groups" when read off a neighbouring point, "… groups" before any curve. */
export function groupCountText(reading: CurveReading | null): string {
  if (!reading) return '… groups';
  const n = `${reading.groups} group${reading.groups === 1 ? '' : 's'}`;
  return reading.exact ? n : `≈ ${n}`;
}

/**
 * The header's reading: the curve's point at the slider when the answer has a curve; otherwise
 * (a capped answer whose pairs all sit above the slider's steps) the groups the answer lists.
 * Null only before any answer.
 */
export function countReading(
  result: { curve: readonly CurvePoint[]; groups: readonly unknown[]; threshold: number } | null,
  threshold: number,
): CurveReading | null {
  if (!result) return null;
  const fromCurve = groupsAt(result.curve, threshold);
  if (fromCurve) return fromCurve;
  return { groups: result.groups.length, at: result.threshold, exact: Math.abs(result.threshold - threshold) < 1e-9 };
}
