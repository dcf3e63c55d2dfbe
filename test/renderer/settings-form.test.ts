import { describe, expect, it } from 'vitest';
import { parsePixelLimit, pixelLimitText } from '../../src-renderer/src/lib/settings-form';

describe('pixel limit field', () => {
  it('shows the limit in megapixels and reads what is typed back as pixels', () => {
    expect(pixelLimitText(268_402_689)).toBe('268.4');
    expect(pixelLimitText(50_000_000)).toBe('50');
    expect(parsePixelLimit(' 500 ')).toEqual({ pixels: 500_000_000 });
    expect(parsePixelLimit('1.5')).toEqual({ pixels: 1_500_000 });
    expect(parsePixelLimit('2000')).toEqual({ pixels: 2_000_000_000 });
  });

  it('refuses what the app would refuse, saying the range', () => {
    for (const bad of ['', 'lots', '0.5', '2001', '-3', 'Infinity']) {
      expect(parsePixelLimit(bad)).toEqual({
        error: `Pixel limit: expected a number of megapixels from 1 to 2000, got ${JSON.stringify(bad.trim())}`,
      });
    }
  });
});
