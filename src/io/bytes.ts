// The first step of every binary reader here: the bytes of a path or buffer, gunzipped when they start with gzip's
// magic number (1f 8b), with failures reported through the reader's own `fail` (which names the reader and file).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The largest decompressed size accepted: it stops a corrupt or hostile gzip stream from exhausting memory. */
const MAX_BYTES = 2 ** 31 - 1;

export function readBytes(source: string | Uint8Array, fail: (msg: string) => never): Uint8Array {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try { bytes = readFileSync(source); } catch (e) { return fail(`cannot read: ${(e as Error).message}`); }
  } else bytes = source;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_BYTES });
    } catch (e) {
      return fail(`corrupt or truncated gzip data: ${(e as Error).message}`);
    }
  }
  return bytes;
}
