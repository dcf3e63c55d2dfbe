// Labelled dev sets for `npm run bench:quality`, made at bench time from Debian packages (none
// is committed, nothing is downloaded but through apt): one folder per label, PNG files.
//   emoji  fonts-noto-color-emoji rendered by sharp (Pango), labelled by the Unicode emoji group
//          of unicode-data's emoji-test.txt (fully-qualified, no skin-tone variants)
//   icons  adwaita-icon-theme's 48 px icons, labelled by their context folder (actions, places, ...)
//   clipart openclipart-png's drawings, labelled by their top folder (animals, food, ...), at
//          most 256 px a side, transparency kept: the app flattens it as it would a user's files
//   demo   the demo library in resources/demo (six texture classes)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
// The background the app flattens transparency onto, so a set made opaque looks as the app sees it.
import { FLATTEN_BACKGROUND } from '../src-main/core/moco/data/decode';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const QUALITY_DIR = join(ROOT, '.bench', 'quality');
const EMOJI_TEST = '/usr/share/unicode/emoji/emoji-test.txt';
const EMOJI_FONT = '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf';
const ICONS = '/usr/share/icons/Adwaita/48x48';
const CLIPART = '/usr/share/openclipart/png';
/** Icon contexts with at least this many icons become classes. */
const MIN_ICONS = 15;
/** Clip-art folders with at least this many distinct drawings become classes. */
const MIN_CLIPART = 20;
/** Longest side of a clip-art file in the set: the encoders see 32-64 px. */
const CLIPART_SIDE = 256;
const SET_FORMAT = 1;

export const SET_NAMES = ['clipart', 'emoji', 'icons', 'demo'] as const;
export type SetName = (typeof SET_NAMES)[number];

export interface DevSet {
  name: SetName;
  /** one folder per label */
  dir: string;
  /** where the images come from, in words */
  source: string;
}

/** Installs the Debian packages a set needs when their files are missing (apt-get, as root). */
function ensurePackages(files: string[], packages: string[]): void {
  if (files.every((f) => existsSync(f))) return;
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error || r.status !== 0 || !files.every((f) => existsSync(f))) {
    throw new Error(
      `bench:quality: expected ${files.join(', ')} from Debian's ${packages.join(', ')} (apt-get install -y ${packages.join(' ')}), got ${r.error?.message ?? `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`}`,
    );
  }
}

/** The set at its folder, made on first use (a marker file says it is complete). */
export async function devSet(name: SetName, log: (line: string) => void): Promise<DevSet> {
  if (name === 'demo') return { name, dir: join(ROOT, 'resources', 'demo'), source: 'resources/demo (six generated texture classes)' };
  const dir = join(QUALITY_DIR, name);
  const marker = join(dir, '.complete');
  const source = SOURCES[name];
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === String(SET_FORMAT)) return { name, dir, source };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const n = await MAKERS[name](dir);
  writeFileSync(marker, String(SET_FORMAT));
  log(`made the ${name} set: ${n} images in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return { name, dir, source };
}

const SOURCES = {
  emoji: 'fonts-noto-color-emoji rendered by sharp, labelled by Unicode emoji group (unicode-data emoji-test.txt)',
  icons: 'adwaita-icon-theme 48 px icons, labelled by context',
  clipart: `openclipart-png drawings, labelled by top folder (${MIN_CLIPART}+ distinct drawings), transparency kept`,
};
const MAKERS = { emoji: makeEmoji, icons: makeIcons, clipart: makeClipart };

/** Fully-qualified emoji without skin-tone modifiers, by group (Component left out: swatches, not pictures). */
export function emojiByGroup(text: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  let group: string | null = null;
  for (const line of text.split('\n')) {
    const g = /^# group: (.+)$/.exec(line);
    if (g) {
      group = g[1].trim();
      continue;
    }
    const m = /^([0-9A-F ]+?)\s*; fully-qualified\s*#/.exec(line);
    if (!m || !group || group === 'Component') continue;
    const codes = m[1]
      .trim()
      .split(/\s+/)
      .map((h) => parseInt(h, 16));
    if (codes.some((c) => c >= 0x1f3fb && c <= 0x1f3ff)) continue; // skin tones: near-duplicates
    const list = groups.get(group) ?? [];
    list.push(String.fromCodePoint(...codes));
    groups.set(group, list);
  }
  return groups;
}

async function makeEmoji(dir: string): Promise<number> {
  ensurePackages([EMOJI_TEST, EMOJI_FONT], ['unicode-data', 'fonts-noto-color-emoji']);
  const groups = emojiByGroup(readFileSync(EMOJI_TEST, 'utf8'));
  let n = 0;
  for (const [group, list] of groups) {
    const sub = join(
      dir,
      group
        .replace(/[^A-Za-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .toLowerCase(),
    );
    mkdirSync(sub, { recursive: true });
    for (let i = 0; i < list.length; i++) {
      const markup = `<span font="Noto Color Emoji 64">${list[i]}</span>`;
      try {
        await sharp({ text: { text: markup, rgba: true, dpi: 72 } })
          .flatten({ background: FLATTEN_BACKGROUND })
          .extend({ top: 8, bottom: 8, left: 8, right: 8, background: FLATTEN_BACKGROUND })
          .png()
          .toFile(join(sub, `${String(i).padStart(4, '0')}.png`));
        n++;
      } catch {
        // a sequence the font cannot draw is left out
      }
    }
  }
  return n;
}

async function makeIcons(dir: string): Promise<number> {
  ensurePackages([ICONS], ['adwaita-icon-theme']);
  let n = 0;
  for (const context of readdirSync(ICONS)) {
    if (context === 'legacy') continue; // the old full-colour set, all contexts mixed
    const files = readdirSync(join(ICONS, context)).filter((f) => f.endsWith('.png'));
    if (files.length < MIN_ICONS) continue;
    mkdirSync(join(dir, context), { recursive: true });
    for (const f of files) {
      // Symbolic icons are grey on transparent: on white, as a user would see them.
      await sharp(join(ICONS, context, f))
        .flatten({ background: FLATTEN_BACKGROUND })
        .png()
        .toFile(join(dir, context, f));
      n++;
    }
  }
  return n;
}

/** Every PNG under dir (symbolic links to another drawing are left out: the same picture twice). */
function pngsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...pngsUnder(path));
    else if (e.isFile() && e.name.endsWith('.png')) out.push(path);
  }
  return out.sort();
}

async function makeClipart(dir: string): Promise<number> {
  ensurePackages([CLIPART], ['openclipart-png']);
  const seen = new Set<string>(); // identical files filed twice count once
  let n = 0;
  for (const folder of readdirSync(CLIPART).sort()) {
    const files = pngsUnder(join(CLIPART, folder)).filter((f) => {
      const digest = createHash('sha256').update(readFileSync(f)).digest('hex');
      if (seen.has(digest)) return false;
      seen.add(digest);
      return true;
    });
    if (files.length < MIN_CLIPART) continue;
    mkdirSync(join(dir, folder), { recursive: true });
    for (const f of files) {
      const name = relative(join(CLIPART, folder), f).replace(/[^A-Za-z0-9._-]+/g, '_');
      try {
        await sharp(f)
          .resize(CLIPART_SIDE, CLIPART_SIDE, { fit: 'inside', withoutEnlargement: true })
          .png()
          .toFile(join(dir, folder, name));
        n++;
      } catch {
        // a file sharp cannot read is left out
      }
    }
  }
  return n;
}
