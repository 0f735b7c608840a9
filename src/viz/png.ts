// PNG writer: 8-bit grayscale, RGB or RGBA, no interlacing, filter type 0 (None) on every row, the scanlines
// deflated with node:zlib. Layout: signature, IHDR, IDAT, IEND; each chunk is length, type, data, CRC-32(type+data).
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';

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
