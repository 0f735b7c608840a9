// Animated GIF89a writer: a global colour table, the NETSCAPE2.0 application extension (loop count), and per
// frame a Graphic Control Extension (delay), an Image Descriptor and the LZW-compressed palette indices.
import { writeFileSync } from 'node:fs';
import type { RGB } from './canvas.ts';

/** Appends codes of varying width, least-significant bit first, as GIF packs them. */
class BitWriter {
  bytes: number[] = [];
  private acc = 0;
  private nbits = 0;
  write(code: number, width: number): void {
    this.acc |= code << this.nbits;
    this.nbits += width;
    while (this.nbits >= 8) {
      this.bytes.push(this.acc & 0xff);
      this.acc >>>= 8;
      this.nbits -= 8;
    }
  }
  flush(): number[] {
    if (this.nbits > 0) this.bytes.push(this.acc & 0xff);
    this.acc = 0;
    this.nbits = 0;
    return this.bytes;
  }
}

/**
 * GIF's variable-width LZW over palette indices < 2^minCodeSize. Codes start minCodeSize+1 bits wide, with
 * clear = 2^minCodeSize and end = clear+1. Each emitted code adds "current string + next index" to the table;
 * the width grows when the next new code needs another bit, and a full table (4096 codes) is reset with a clear.
 */
export function lzwEncode(indices: Uint8Array, minCodeSize: number): Uint8Array {
  if (!Number.isInteger(minCodeSize) || minCodeSize < 2 || minCodeSize > 8) {
    throw new Error(`lzwEncode: minCodeSize must be 2..8, got ${minCodeSize}`);
  }
  const clear = 1 << minCodeSize, end = clear + 1;
  const out = new BitWriter();
  // the table maps (prefix code, next index) to a code; prefix codes are < 4096 and indices < 256
  let table = new Map<number, number>();
  let width = minCodeSize + 1;
  let next = end + 1;
  out.write(clear, width);
  if (indices.length === 0) { out.write(end, width); return Uint8Array.from(out.flush()); }
  for (let i = 0; i < indices.length; i++) {
    if (indices[i] >= clear) throw new Error(`lzwEncode: index ${indices[i]} at position ${i} does not fit ${minCodeSize} bits`);
  }
  let prefix = indices[0];
  for (let i = 1; i < indices.length; i++) {
    const k = indices[i];
    const key = (prefix << 8) | k;
    const code = table.get(key);
    if (code !== undefined) { prefix = code; continue; }
    out.write(prefix, width);
    if (next === 4096) {
      out.write(clear, width);
      table = new Map();
      width = minCodeSize + 1;
      next = end + 1;
    } else {
      // the code about to be assigned needs `width` + 1 bits once it reaches 2^width
      if (next >= 1 << width) width++;
      table.set(key, next++);
    }
    prefix = k;
  }
  out.write(prefix, width);
  out.write(end, width);
  return Uint8Array.from(out.flush());
}

/** Splits data into GIF sub-blocks (a length byte, then up to 255 bytes), ending with a zero-length block. */
function subBlocks(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length; i += 255) {
    const n = Math.min(255, data.length - i);
    out.push(n);
    for (let j = 0; j < n; j++) out.push(data[i + j]);
  }
  out.push(0);
  return out;
}

function u16(v: number): number[] { return [v & 0xff, (v >> 8) & 0xff]; }

export interface GifOptions {
  /** NETSCAPE2.0 loop count: 0 (default) loops forever. */
  loop?: number;
}

/**
 * An animated GIF from frames of palette indices (width·height each, row-major). The palette (≤ 256 RGB colours)
 * is padded to a power of two; delayCs is the delay per frame in hundredths of a second (one number for all
 * frames, or one per frame).
 */
export function encodeGif(frames: Uint8Array[], width: number, height: number, palette: readonly RGB[], delayCs: number | number[] = 10, opts: GifOptions = {}): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw new Error(`encodeGif: width and height must be integers in 1..65535, got ${width}×${height}`);
  }
  if (frames.length === 0) throw new Error('encodeGif: need at least one frame');
  if (palette.length === 0 || palette.length > 256) throw new Error(`encodeGif: the palette needs 1..256 colours, got ${palette.length}`);
  const delays = Array.isArray(delayCs) ? delayCs : frames.map(() => delayCs);
  if (delays.length !== frames.length) throw new Error(`encodeGif: ${delays.length} delays for ${frames.length} frames`);
  // table size 2^(n+1) ≥ palette length, at least 2 entries; LZW needs at least 2-bit codes
  let n = 0;
  while (2 << n < palette.length) n++;
  const tableSize = 2 << n;
  const minCodeSize = Math.max(2, n + 1);
  const bytes: number[] = [];
  for (const ch of 'GIF89a') bytes.push(ch.charCodeAt(0));
  // logical screen descriptor: global table present (0x80), colour resolution 8 bits (0x70), size 2^(n+1)
  bytes.push(...u16(width), ...u16(height), 0x80 | 0x70 | n, 0, 0);
  for (let i = 0; i < tableSize; i++) {
    const c = palette[i] ?? [0, 0, 0];
    bytes.push(c[0] & 0xff, c[1] & 0xff, c[2] & 0xff);
  }
  // NETSCAPE2.0 application extension: sub-block 1 holds the loop count
  bytes.push(0x21, 0xff, 11);
  for (const ch of 'NETSCAPE2.0') bytes.push(ch.charCodeAt(0));
  bytes.push(3, 1, ...u16(opts.loop ?? 0), 0);
  frames.forEach((f, i) => {
    if (f.length !== width * height) throw new Error(`encodeGif: frame ${i} has ${f.length} pixels, expected ${width}×${height} = ${width * height}`);
    for (let p = 0; p < f.length; p++) {
      if (f[p] >= palette.length) throw new Error(`encodeGif: frame ${i} uses colour ${f[p]} but the palette has ${palette.length}`);
    }
    const d = delays[i];
    if (!Number.isInteger(d) || d < 0 || d > 65535) throw new Error(`encodeGif: delay ${d} for frame ${i} must be an integer number of centiseconds`);
    // graphic control extension: disposal 1 (leave in place), no transparency
    bytes.push(0x21, 0xf9, 4, 0x04, ...u16(d), 0, 0);
    // image descriptor: the whole screen, no local colour table, not interlaced
    bytes.push(0x2c, ...u16(0), ...u16(0), ...u16(width), ...u16(height), 0);
    bytes.push(minCodeSize);
    for (const b of subBlocks(lzwEncode(f, minCodeSize))) bytes.push(b); // no spread: frames can be large
  });
  bytes.push(0x3b); // trailer
  return Uint8Array.from(bytes);
}

export function writeGif(path: string, frames: Uint8Array[], width: number, height: number, palette: readonly RGB[], delayCs: number | number[] = 10, opts: GifOptions = {}): void {
  writeFileSync(path, encodeGif(frames, width, height, palette, delayCs, opts));
}
