// Photo-like test images drawn with sharp (a gradient, translucent shapes, grain) and the edited
// copies a near-duplicate search must find: cropped 6%, halved, brightened 12%, JPEG quality 55.
import sharp from 'sharp';
import { makeRng } from '../../../scripts/make-demo-library';

type Rng = () => number;

const colour = (rng: Rng) =>
  `#${Math.floor(rng() * 0xffffff)
    .toString(16)
    .padStart(6, '0')}`;

function scene(rng: Rng, w: number, h: number): string {
  const angle = (rng() * 360).toFixed(1);
  let body =
    `<defs><linearGradient id="g" gradientTransform="rotate(${angle} .5 .5)">` +
    `<stop offset="0" stop-color="${colour(rng)}"/><stop offset="1" stop-color="${colour(rng)}"/></linearGradient></defs>` +
    `<rect width="${w}" height="${h}" fill="url(#g)"/>`;
  const shapes = 10 + Math.floor(rng() * 30);
  for (let i = 0; i < shapes; i++) {
    const r = (0.02 + rng() * 0.18) * w;
    const x = (rng() * w).toFixed(0);
    const y = (rng() * h).toFixed(0);
    const style = `fill="${colour(rng)}" fill-opacity="${(0.3 + rng() * 0.7).toFixed(2)}"`;
    if (rng() < 0.5) body += `<circle cx="${x}" cy="${y}" r="${r.toFixed(0)}" ${style}/>`;
    else
      body += `<rect x="${x}" y="${y}" width="${(2 * r).toFixed(0)}" height="${r.toFixed(0)}" ${style} transform="rotate(${(rng() * 90).toFixed(1)} ${x} ${y})"/>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${body}</svg>`;
}

let grain: Promise<Buffer> | null = null;

/** Gaussian grain around mid-grey, overlay-blended onto each picture. */
function grainTile(): Promise<Buffer> {
  grain ??= (() => {
    const rng = makeRng(5);
    const side = 240;
    const raw = Buffer.alloc(side * side * 3);
    for (let i = 0; i < raw.length; i++) {
      const u = Math.max(rng(), 1e-12);
      raw[i] = Math.max(0, Math.min(255, Math.round(128 + 14 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng()))));
    }
    return sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .png()
      .toBuffer();
  })();
  return grain;
}

/** Distinct photo `i` as a JPEG; every third one is portrait. */
export async function drawPhoto(i: number, seed = 1000): Promise<Buffer> {
  const rng = makeRng(seed + i);
  const [w, h] = i % 3 === 2 ? [360, 480] : [480, 360];
  return sharp(Buffer.from(scene(rng, w, h)))
    .composite([{ input: await grainTile(), tile: true, blend: 'overlay' }])
    .jpeg({ quality: 88 })
    .toBuffer();
}

export type CropAt = 'top-left' | 'bottom-right' | 'centre' | 'random';

/** A copy cropped by 6% of each side's length at `at`, halved, brightened 12%, saved as JPEG q55. */
export async function editedCopy(photo: Buffer, at: CropAt, rng: Rng = makeRng(7)): Promise<Buffer> {
  const { width: W = 0, height: H = 0 } = await sharp(photo).metadata();
  const cw = Math.round(W * 0.94);
  const ch = Math.round(H * 0.94);
  const offsets = {
    'top-left': [0, 0],
    'bottom-right': [W - cw, H - ch],
    centre: [Math.round((W - cw) / 2), Math.round((H - ch) / 2)],
    random: [Math.floor(rng() * (W - cw + 1)), Math.floor(rng() * (H - ch + 1))],
  } as const;
  const [left, top] = offsets[at];
  return sharp(photo)
    .extract({ left, top, width: cw, height: ch })
    .resize(Math.round(cw / 2), Math.round(ch / 2))
    .linear(1.12, 0)
    .jpeg({ quality: 55 })
    .toBuffer();
}

export const CROPS: readonly CropAt[] = ['top-left', 'bottom-right', 'centre', 'random'];
