// PNG writer: 8-bit grayscale, RGB or RGBA, no interlacing, filter type 0 (None) on every row, the scanlines
// deflated with node:zlib. Layout: signature, IHDR, IDAT, IEND; each chunk is length, type, data, CRC-32(type+data).
// The reader takes back what the writer makes and any other 8-bit, non-interlaced PNG of those colour types
// (all five row filters), e.g. to assemble the sample grids of a resumed run into one GIF.
import { deflateSync, inflateSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) as PNG and zlib use it. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** PNG colour types by channel count: 1 gray (0), 2 gray+alpha (4), 3 RGB (2), 4 RGBA (6). */
const COLOR_TYPE: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/**
 * Encodes 8-bit pixels, row-major from the top-left. The channel count (1 gray, 3 RGB, 4 RGBA; 2 gray+alpha) is
 * pixels.length / (width·height) unless given.
 */
export function encodePng(width: number, height: number, pixels: Uint8Array | Uint8ClampedArray, channels?: number): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`encodePng: width and height must be positive integers, got ${width}×${height}`);
  }
  const ch = channels ?? pixels.length / (width * height);
  if (!(ch in COLOR_TYPE)) {
    throw new Error(`encodePng: ${pixels.length} bytes for ${width}×${height} pixels is not 1, 2, 3 or 4 channels`);
  }
  if (pixels.length !== width * height * ch) {
    throw new Error(`encodePng: ${width}×${height}×${ch} needs ${width * height * ch} bytes, got ${pixels.length}`);
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE[ch];
  // compression 0 (deflate), filter method 0, interlace 0: already zero
  const stride = width * ch;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const parts = [SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

/** Writes a PNG file (see encodePng). */
export function writePng(path: string, width: number, height: number, pixels: Uint8Array | Uint8ClampedArray, channels?: number): void {
  writeFileSync(path, encodePng(width, height, pixels, channels));
}

/** A decoded PNG: 8-bit pixels, row-major, `channels` interleaved. */
export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** Decodes an 8-bit, non-interlaced gray / gray+alpha / RGB / RGBA PNG; errors name `name` and what is unsupported. */
export function decodePng(bytes: Uint8Array, name = '<png>'): DecodedPng {
  const fail = (msg: string): never => { throw new Error(`decodePng: ${name}: ${msg}`); };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  for (let off = 8; off < bytes.length;) {
    if (off + 12 > bytes.length) fail(`truncated chunk at byte ${off}`);
    const len = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    if (off + 12 + len > bytes.length) fail(`chunk ${type} runs past the end of the file`);
    const data = bytes.subarray(off + 8, off + 8 + len);
    if (crc32(bytes.subarray(off + 4, off + 8 + len)) !== view.getUint32(off + 8 + len)) fail(`chunk ${type} fails its CRC`);
    if (type === 'IHDR') {
      width = view.getUint32(off + 8);
      height = view.getUint32(off + 12);
      const [depth, color, , , interlace] = data.subarray(8, 13);
      channels = Object.entries(COLOR_TYPE).find(([, t]) => t === color)?.[0] as unknown as number;
      if (depth !== 8 || !channels || interlace !== 0) fail(`only 8-bit non-interlaced gray/RGB(A) images are read (bit depth ${depth}, colour type ${color}, interlace ${interlace})`);
      channels = Number(channels);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  if (!width || !height || !idat.length) fail('no IHDR or IDAT chunk');
  let raw: Uint8Array;
  try { raw = inflateSync(Buffer.concat(idat)); } catch (e) { return fail(`the image data does not inflate (${(e as Error).message})`); }
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) fail(`the image data holds ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const px = new Uint8Array(height * stride);
  // undo the row filters: x is the byte, a the one left of it (one pixel back), b above, c above-left
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], src = y * (stride + 1) + 1, row = y * stride, up = row - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? px[row + i - channels] : 0, b = y > 0 ? px[up + i] : 0, c = y > 0 && i >= channels ? px[up + i - channels] : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      else if (f !== 0) fail(`row ${y} has unknown filter type ${f}`);
      px[row + i] = (raw[src + i] + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels: px };
}

/** Reads and decodes a PNG file (see decodePng). */
export function readPng(path: string): DecodedPng {
  return decodePng(readFileSync(path), path);
}
