// Image writers: PNG (decoded here with zlib), animated GIF (parsed, LZW-decoded by an independent decoder
// below), image grids, the line-plot rasterizer and its bitmap font.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, tensor } from '../../src/index.ts';
import { crc32, encodePng, writePng } from '../../src/viz/png.ts';
import { encodeGif, lzwEncode } from '../../src/viz/gif.ts';
import { tileGrid, writeGrid } from '../../src/viz/grid.ts';
import { Canvas } from '../../src/viz/canvas.ts';
import { linePlot, niceTicks, formatTick, writePlot, SERIES_COLORS } from '../../src/viz/plot.ts';
import { glyphPixel, textWidth } from '../../src/viz/font.ts';
import { cartPoleGif, cartPoleStrip } from '../../src/rl/render.ts';

// ---------------------------------------------------------------- PNG

interface DecodedPng { width: number; height: number; colorType: number; bitDepth: number; rows: Uint8Array[]; filters: number[] }

/** Parses chunks (checking every CRC), inflates IDAT and splits the scanlines. */
function decodePng(bytes: Uint8Array): DecodedPng {
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 8;
  const chunks: { type: string; data: Uint8Array }[] = [];
  while (off < bytes.length) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    const data = bytes.subarray(off + 8, off + 8 + len);
    assert.equal(view.getUint32(off + 8 + len), crc32(bytes.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    chunks.push({ type, data });
    off += 12 + len;
  }
  assert.equal(off, bytes.length, 'no trailing bytes');
  assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  const ih = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
  const width = ih.getUint32(0), height = ih.getUint32(4), bitDepth = chunks[0].data[8], colorType = chunks[0].data[9];
  assert.deepEqual(Array.from(chunks[0].data.subarray(10)), [0, 0, 0], 'compression, filter, interlace');
  const ch = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType]!;
  const raw = inflateSync(chunks[1].data);
  const stride = width * ch + 1;
  assert.equal(raw.length, height * stride);
  const rows: Uint8Array[] = [], filters: number[] = [];
  for (let y = 0; y < height; y++) { filters.push(raw[y * stride]); rows.push(raw.subarray(y * stride + 1, (y + 1) * stride)); }
  return { width, height, colorType, bitDepth, rows, filters };
}

test('crc32 gives the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('PNG: gray, RGB and RGBA pixels survive encoding', () => {
  for (const ch of [1, 3, 4]) {
    const w = 5, h = 3;
    const px = Uint8Array.from({ length: w * h * ch }, (_, i) => (i * 37 + ch) & 0xff);
    const png = decodePng(encodePng(w, h, px));
    assert.equal(png.width, w);
    assert.equal(png.height, h);
    assert.equal(png.bitDepth, 8);
    assert.equal(png.colorType, { 1: 0, 3: 2, 4: 6 }[ch]);
    assert.deepEqual(png.filters, [0, 0, 0]);
    for (let y = 0; y < h; y++) assert.deepEqual(Array.from(png.rows[y]), Array.from(px.subarray(y * w * ch, (y + 1) * w * ch)), `channels ${ch} row ${y}`);
  }
  assert.throws(() => encodePng(4, 4, new Uint8Array(17)), /encodePng: 17 bytes for 4×4 pixels is not 1, 2, 3 or 4 channels/);
  assert.throws(() => encodePng(4, 4, new Uint8Array(16), 3), /encodePng: 4×4×3 needs 48 bytes, got 16/);
  assert.throws(() => encodePng(0, 4, new Uint8Array(0)), /encodePng: width and height must be positive integers/);
  const dir = mkdtempSync(join(tmpdir(), 'deepten-viz-'));
  try {
    writePng(join(dir, 'a.png'), 2, 1, Uint8Array.of(10, 200));
    assert.deepEqual(Array.from(decodePng(readFileSync(join(dir, 'a.png'))).rows[0]), [10, 200]);
  } finally { rmSync(dir, { recursive: true }); }
});

// ---------------------------------------------------------------- GIF

/** GIF LZW decoding (independent of the encoder): variable-width codes, LSB first, clear and end codes. */
function lzwDecode(data: Uint8Array, minCodeSize: number): number[] {
  const clear = 1 << minCodeSize, end = clear + 1;
  let width = minCodeSize + 1;
  let dict: number[][] = [];
  const reset = () => { dict = Array.from({ length: clear + 2 }, (_, i) => (i < clear ? [i] : [])); width = minCodeSize + 1; };
  reset();
  const out: number[] = [];
  let bitPos = 0;
  let prev: number[] | null = null;
  let sawEnd = false;
  while (bitPos + width <= data.length * 8) {
    let code = 0;
    for (let b = 0; b < width; b++, bitPos++) code |= ((data[bitPos >> 3] >> (bitPos & 7)) & 1) << b;
    if (code === clear) { reset(); prev = null; continue; }
    if (code === end) { sawEnd = true; break; }
    let entry: number[];
    if (code < dict.length) entry = dict[code];
    else if (code === dict.length && prev) entry = [...prev, prev[0]]; // the KwKwK case
    else throw new Error(`bad LZW code ${code} (table has ${dict.length})`);
    out.push(...entry);
    if (prev && dict.length < 4096) {
      dict.push([...prev, entry[0]]);
      if (dict.length === 1 << width && width < 12) width++;
    }
    prev = entry;
  }
  assert.ok(sawEnd, 'LZW stream ends with the end code');
  return out;
}

interface ParsedGif { width: number; height: number; palette: number[][]; loop: number | null; frames: { delay: number; indices: number[] }[] }

function parseGif(b: Uint8Array): ParsedGif {
  assert.equal(String.fromCharCode(...b.subarray(0, 6)), 'GIF89a');
  const u16 = (o: number) => b[o] | (b[o + 1] << 8);
  const width = u16(6), height = u16(8), flags = b[10];
  assert.ok(flags & 0x80, 'global colour table present');
  const size = 2 << (flags & 7);
  const palette: number[][] = [];
  for (let i = 0; i < size; i++) palette.push([b[13 + 3 * i], b[14 + 3 * i], b[15 + 3 * i]]);
  let off = 13 + 3 * size;
  const readBlocks = (): Uint8Array => {
    const parts: number[] = [];
    while (b[off] !== 0) { const n = b[off]; parts.push(...b.subarray(off + 1, off + 1 + n)); off += n + 1; }
    off++;
    return Uint8Array.from(parts);
  };
  let loop: number | null = null, delay = 0;
  const frames: ParsedGif['frames'] = [];
  for (;;) {
    const intro = b[off++];
    if (intro === 0x3b) break;
    if (intro === 0x21) {
      const label = b[off++];
      if (label === 0xff) {
        const app = readBlocksRaw();
        if (app.name === 'NETSCAPE2.0') loop = app.data[1] | (app.data[2] << 8);
      } else if (label === 0xf9) {
        const d = readBlocks();
        assert.equal(d.length, 4);
        delay = d[1] | (d[2] << 8);
      } else readBlocks();
    } else if (intro === 0x2c) {
      const [x, y, w, h, f] = [u16(off), u16(off + 2), u16(off + 4), u16(off + 6), b[off + 8]];
      assert.deepEqual([x, y, w, h, f & 0x80], [0, 0, width, height, 0], 'full-screen frame, no local table');
      off += 9;
      const minCodeSize = b[off++];
      frames.push({ delay, indices: lzwDecode(readBlocks(), minCodeSize) });
    } else throw new Error(`unexpected block 0x${intro.toString(16)} at ${off - 1}`);
  }
  assert.equal(off, b.length, 'trailer is the last byte');
  return { width, height, palette, loop, frames };

  function readBlocksRaw(): { name: string; data: Uint8Array } {
    const n = b[off];
    const name = String.fromCharCode(...b.subarray(off + 1, off + 1 + n));
    off += n + 1;
    return { name, data: readBlocks() };
  }
}

test('GIF: header, palette, loop extension, delays and every frame round-trip', () => {
  const w = 7, h = 5;
  const g = new Generator(1);
  const frames = [0, 1, 2].map((k) => Uint8Array.from({ length: w * h }, (_, i) => (k === 0 ? i % 5 : g.randint(0, 5))));
  const palette: [number, number, number][] = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255], [250, 250, 250]];
  const gif = parseGif(encodeGif(frames, w, h, palette, [5, 10, 20]));
  assert.equal(gif.width, w);
  assert.equal(gif.height, h);
  assert.equal(gif.palette.length, 8, 'five colours padded to 8');
  assert.deepEqual(gif.palette.slice(0, 5), palette);
  assert.equal(gif.loop, 0, 'loops forever');
  assert.equal(gif.frames.length, 3);
  assert.deepEqual(gif.frames.map((f) => f.delay), [5, 10, 20]);
  gif.frames.forEach((f, k) => assert.deepEqual(f.indices, Array.from(frames[k]), `frame ${k}`));
  assert.throws(() => encodeGif([new Uint8Array(3)], 2, 2, palette), /encodeGif: frame 0 has 3 pixels, expected 2×2 = 4/);
  assert.throws(() => encodeGif([Uint8Array.of(0, 5, 0, 0)], 2, 2, palette), /frame 0 uses colour 5 but the palette has 5/);
  assert.throws(() => encodeGif([], 2, 2, palette), /need at least one frame/);
  assert.throws(() => encodeGif([new Uint8Array(4)], 2, 2, palette, [1, 2]), /2 delays for 1 frames/);
});

test('GIF LZW: code-width growth, full-table resets and repeated runs decode exactly', () => {
  const g = new Generator(7);
  const cases: [string, Uint8Array, number][] = [
    // random bytes fill the 4096-entry table many times (clear codes mid-stream)
    ['random 8-bit', Uint8Array.from({ length: 60_000 }, () => g.randint(0, 256)), 8],
    // long runs produce the KwKwK case (a code used right as it is defined)
    ['one long run', new Uint8Array(5000).fill(3), 2],
    ['runs and noise', Uint8Array.from({ length: 20_000 }, (_, i) => (i % 97 < 60 ? 1 : g.randint(0, 16))), 4],
    ['single pixel', Uint8Array.of(2), 2],
    ['empty', new Uint8Array(0), 2],
  ];
  for (const [name, data, bits] of cases) {
    assert.deepEqual(lzwDecode(lzwEncode(data, bits), bits), Array.from(data), name);
  }
  // compression actually happens on redundant input
  assert.ok(lzwEncode(new Uint8Array(5000).fill(3), 2).length < 200);
  assert.throws(() => lzwEncode(Uint8Array.of(4), 2), /lzwEncode: index 4 at position 0 does not fit 2 bits/);
});

// ---------------------------------------------------------------- grid, canvas, font, plot

test('tileGrid lays images out row by row with padding and a value range', () => {
  // five 2×3 images; image k is filled with k, pixel (0, 0) of each is −1
  const n = 5, h = 2, w = 3;
  const data = new Float32Array(n * h * w);
  for (let k = 0; k < n; k++) { data.fill(k, k * h * w, (k + 1) * h * w); data[k * h * w] = -1; }
  const img = tileGrid(tensor(data, { shape: [n, 1, h, w] }), { nrow: 3, padding: 1, padValue: 7, range: [-1, 4] });
  assert.equal(img.channels, 1);
  assert.equal(img.width, 3 * (w + 1) + 1);
  assert.equal(img.height, 2 * (h + 1) + 1);
  const at = (x: number, y: number) => img.pixels[y * img.width + x];
  assert.equal(at(0, 0), 7, 'padding');
  for (let k = 0; k < n; k++) {
    const ox = 1 + (k % 3) * (w + 1), oy = 1 + Math.floor(k / 3) * (h + 1);
    assert.equal(at(ox, oy), 0, `image ${k}: −1 maps to 0`);
    assert.equal(at(ox + 2, oy + 1), Math.round(((k + 1) / 5) * 255), `image ${k} value`);
  }
  assert.equal(at(img.width - 2, img.height - 2), 7, 'the empty sixth cell stays padding');
  // default range: the batch's min and max; scale repeats pixels
  const big = tileGrid({ data: Float32Array.of(0, 1, 2, 3), shape: [1, 2, 2] }, { padding: 0, scale: 2 });
  assert.deepEqual(Array.from(big.pixels), [0, 0, 85, 85, 0, 0, 85, 85, 170, 170, 255, 255, 170, 170, 255, 255]);
  // RGB batches keep their channels
  const rgb = tileGrid({ data: Float32Array.of(0, 1, 0.5, 0.5, 1, 0), shape: [2, 3, 1, 1] }, { padding: 0, range: [0, 1] });
  assert.equal(rgb.channels, 3);
  assert.deepEqual(Array.from(rgb.pixels), [0, 255, 128, 128, 255, 0]);
  assert.throws(() => tileGrid({ data: new Float32Array(8), shape: [2, 2, 2, 1] }), /tileGrid: expected images of shape \(N, H, W\) or \(N, 1\|3, H, W\), got \[2, 2, 2, 1\]/);
  assert.throws(() => tileGrid({ data: new Float32Array(7), shape: [2, 2, 2] }), /tileGrid: shape \[2, 2, 2\] needs 8 values, got 7/);
  const dir = mkdtempSync(join(tmpdir(), 'deepten-viz-'));
  try {
    const out = writeGrid(join(dir, 'g.png'), { data: data, shape: [n, h, w] }, { nrow: 5 });
    const png = decodePng(readFileSync(join(dir, 'g.png')));
    assert.deepEqual([png.width, png.height], [out.width, out.height]);
  } finally { rmSync(dir, { recursive: true }); }
});

test('Canvas draws rectangles, lines, polygons and shares its palette', () => {
  const palette: [number, number, number][] = [[255, 255, 255]];
  const c = new Canvas(10, 8, palette);
  const red = c.color([255, 0, 0]);
  assert.equal(red, 1);
  assert.equal(c.color([255, 0, 0]), 1, 'a known colour is reused');
  c.fillRect(2, 1, 3, 2, red);
  let count = 0;
  for (let y = 0; y < 8; y++) for (let x = 0; x < 10; x++) count += +(c.get(x, y) === red);
  assert.equal(count, 6);
  assert.equal(c.get(2, 1), red);
  assert.equal(c.get(5, 1), 0);
  c.line(0, 7, 9, 7, [0, 0, 255]);
  for (let x = 0; x < 10; x++) assert.equal(c.get(x, 7), 2);
  const other = new Canvas(3, 3, palette);
  assert.equal(other.color([0, 0, 255]), 2, 'canvases built on one palette array agree on indices');
  c.fillPolygon([[6, 0], [10, 0], [10, 4], [6, 4]], [0, 255, 0]);
  assert.equal(c.get(7, 2), 3);
  assert.equal(c.get(5, 2), 0);
  assert.deepEqual(Array.from(c.toRgb().subarray(3 * (1 * 10 + 2), 3 * (1 * 10 + 2) + 3)), [255, 0, 0]);
  assert.throws(() => new Canvas(0, 3), /Canvas: width and height must be positive integers/);
  const full = new Canvas(1, 1, Array.from({ length: 256 }, (_, i) => [i, 0, 0] as [number, number, number]));
  assert.throws(() => full.color([1, 2, 3]), /the palette is full/);
});

test('the 5×7 font has the expected glyph shapes', () => {
  const draw = (ch: string) => Array.from({ length: 7 }, (_, r) => Array.from({ length: 5 }, (_, c) => (glyphPixel(ch, c, r) ? '#' : '.')).join(''));
  assert.deepEqual(draw('1'), ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.']);
  assert.deepEqual(draw('L'), ['#....', '#....', '#....', '#....', '#....', '#....', '#####']);
  assert.deepEqual(draw('-'), ['.....', '.....', '.....', '#####', '.....', '.....', '.....']);
  assert.deepEqual(draw(' '), Array(7).fill('.....'));
  assert.deepEqual(draw('\u00e9'), draw('?'), 'characters outside ASCII draw as ?');
  assert.equal(textWidth('abc'), 17);
  assert.equal(textWidth('abc', 2), 34);
  assert.equal(textWidth(''), 0);
});

test('plot: ticks, labels, series colours and a log-scaled y axis', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 450, 5), [0, 100, 200, 300, 400]);
  assert.equal(formatTick(0), '0');
  assert.equal(formatTick(0.25), '0.25');
  assert.equal(formatTick(1e-4), '1e-4');
  assert.equal(formatTick(250000), '2.5e+5');
  const ys = Array.from({ length: 50 }, (_, i) => i * i);
  const c = linePlot([{ name: 'squares', y: ys }, { name: 'line', y: ys.map((_, i) => 40 * i) }], { width: 320, height: 200, title: 'T' });
  assert.equal(c.width, 320);
  const countColor = (rgb: readonly number[]) => {
    const idx = c.palette.findIndex((p) => p[0] === rgb[0] && p[1] === rgb[1] && p[2] === rgb[2]);
    return idx < 0 ? 0 : c.pixels.reduce((n, v) => n + +(v === idx), 0);
  };
  assert.ok(countColor(SERIES_COLORS[0]) > 150 && countColor(SERIES_COLORS[1]) > 150, 'both series drawn');
  // the squares curve starts at the bottom-left and ends top-right of the plot area
  const idx0 = c.palette.findIndex((p) => p === SERIES_COLORS[0] || (p[0] === 31 && p[1] === 119 && p[2] === 180));
  let minX = Infinity, minXy = 0, maxX = -Infinity, maxXy = 0;
  for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) {
    if (c.get(x, y) !== idx0 || (x > 220 && y < 50)) continue; // skip the legend box
    if (x < minX) { minX = x; minXy = y; }
    if (x > maxX) { maxX = x; maxXy = y; }
  }
  assert.ok(minXy > maxXy + 100, `curve rises: left end y ${minXy}, right end y ${maxXy}`);
  // log y: powers of ten lie on a straight line (the middle column sits halfway between the ends), unlike on a
  // linear axis; non-positive values are skipped
  const midOffset = (logY: boolean) => {
    const p = linePlot([{ name: '', y: [1, 10, 100, 1000, 10000] }], { width: 300, height: 200, logY });
    const blue = p.palette.findIndex((q) => q[0] === 31 && q[1] === 119 && q[2] === 180);
    const cols: [number, number][] = [];
    for (let x = 0; x < p.width; x++) {
      let sy = 0, n = 0;
      for (let y = 0; y < p.height; y++) if (p.get(x, y) === blue) { sy += y; n++; }
      if (n) cols.push([x, sy / n]);
    }
    const [xl, yl] = cols[0], [xr, yr] = cols[cols.length - 1];
    const mid = cols.reduce((best, c) => (Math.abs(c[0] - (xl + xr) / 2) < Math.abs(best[0] - (xl + xr) / 2) ? c : best));
    assert.ok(yl > yr + 100, 'the curve rises');
    return Math.abs(mid[1] - (yl + yr) / 2);
  };
  assert.ok(midOffset(true) < 3, `log axis: mid offset ${midOffset(true)}`);
  assert.ok(midOffset(false) > 30, `linear axis: mid offset ${midOffset(false)}`);
  const skipped = linePlot([{ name: 'x', y: [0, 1, 10, -5, 100] }], { logY: true });
  assert.ok(skipped.pixels.some((v) => v === skipped.palette.findIndex((q) => q[0] === 31 && q[1] === 119 && q[2] === 180)));
  assert.throws(() => linePlot([{ name: 'a', y: [1] }], { width: 20, height: 20 }), /linePlot: 20×20 is too small/);
  assert.throws(() => linePlot([{ name: 'a', y: [1] }], { logY: true, yRange: [0, 1] }), /a log y axis needs a positive yRange/);
  const dir = mkdtempSync(join(tmpdir(), 'deepten-viz-'));
  try {
    writePlot(join(dir, 'p.png'), [{ name: 'loss', y: [3, 2, 1.5, 1.2] }], { logY: true, xLabel: 'step', yLabel: 'loss' });
    const png = decodePng(readFileSync(join(dir, 'p.png')));
    assert.deepEqual([png.width, png.height, png.colorType], [640, 400, 2]);
  } finally { rmSync(dir, { recursive: true }); }
});

test('CartPole GIF and strip renderers produce well-formed images', () => {
  const states = Array.from({ length: 6 }, (_, i) => [i * 0.2 - 0.5, 0, (i - 3) * 0.05, 0]);
  const gif = parseGif(cartPoleGif(states, { width: 60, height: 40, delayCs: 3 }));
  assert.equal(gif.frames.length, 6);
  assert.ok(gif.frames.every((f) => f.delay === 3 && f.indices.length === 60 * 40));
  assert.notDeepEqual(gif.frames[0].indices, gif.frames[5].indices, 'frames differ as the cart moves');
  const strip = cartPoleStrip(states.slice(0, 3), { width: 50, height: 30 });
  assert.deepEqual([strip.width, strip.height, strip.channels], [3 * 52 - 2, 30, 3]);
  assert.equal(strip.pixels.length, strip.width * 30 * 3);
});

test('decodePng: reads back what encodePng writes, every row filter (Sub, Up, Average, Paeth) and rejects bad files', async () => {
  const { decodePng: decode } = await import('../../src/viz/png.ts');
  const { deflateSync } = await import('node:zlib');
  const g = (i: number) => (i * 37 + (i >> 3) * 11) & 0xff;
  for (const ch of [1, 3, 4]) {
    const w = 5, h = 4, px = Uint8Array.from({ length: w * h * ch }, (_, i) => g(i));
    const d = decode(encodePng(w, h, px));
    assert.deepEqual([d.width, d.height, d.channels], [w, h, ch]);
    assert.deepEqual(Array.from(d.pixels), Array.from(px));
  }
  // a 3×5 RGB image whose rows use filters 0..4, filtered here by the forward rules
  const w = 3, h = 5, ch = 3, stride = w * ch, px = Uint8Array.from({ length: w * h * ch }, (_, i) => g(i + 5));
  const raw = new Uint8Array(h * (stride + 1));
  for (let y = 0; y < h; y++) {
    raw[y * (stride + 1)] = y;
    for (let i = 0; i < stride; i++) {
      const at = (yy: number, ii: number) => (yy >= 0 && ii >= 0 ? px[yy * stride + ii] : 0);
      const a = at(y, i - ch), b = at(y - 1, i), c = at(y - 1, i - ch);
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][y];
      raw[y * (stride + 1) + 1 + i] = (px[y * stride + i] - pred) & 0xff;
    }
  }
  // splice the filtered data into a PNG made by encodePng (same IHDR), recomputing the IDAT chunk's CRC
  const base = encodePng(w, h, px);
  const idat = deflateSync(raw);
  const ihdrEnd = 8 + 12 + 13;
  const chunkOf = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length), v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const file = Buffer.concat([base.subarray(0, ihdrEnd), chunkOf('IDAT', idat), chunkOf('IEND', new Uint8Array(0))]);
  assert.deepEqual(Array.from(decode(file).pixels), Array.from(px));
  assert.throws(() => decode(new Uint8Array(20), 'x.png'), /decodePng: x\.png: not a PNG file/);
  const bad = Uint8Array.from(file);
  bad[ihdrEnd + 10] ^= 1;
  assert.throws(() => decode(bad, 'y.png'), /decodePng: y\.png: chunk IDAT fails its CRC/);
});
