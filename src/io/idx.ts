// IDX reader (the MNIST / Fashion-MNIST format, http://yann.lecun.com/exdb/mnist/ "FILE FORMATS"):
//   bytes 0–1: 0x00 0x00; byte 2: element type; byte 3: number of dimensions d;
//   then d big-endian uint32 sizes; then the elements, row-major, big-endian.
// Files may be gzipped (detected by the gzip magic 1f 8b), as they are distributed.
import { readBytes } from './bytes.ts';

export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxFile {
  dtype: IdxDType;
  shape: number[];
  data: IdxArray;
}

const TYPES: Record<number, { dtype: IdxDType; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};

/** Reads an IDX file (path or bytes), gzipped or not. `name` labels a buffer in error messages. */
export function readIdx(source: string | Uint8Array, name = typeof source === 'string' ? source : '<buffer>'): IdxFile {
  const fail = (msg: string): never => { throw new Error(`readIdx: ${name}: ${msg}`); };
  const bytes = readBytes(source, fail);
  if (bytes.length < 4) fail(`truncated: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`bad magic number 0x${hex(bytes, 0, 4)}: an IDX file starts with two zero bytes`);
  const type = TYPES[bytes[2]];
  if (!type) fail(`bad magic number 0x${hex(bytes, 0, 4)}: unknown element type 0x${bytes[2].toString(16).padStart(2, '0')} (expected 08, 09, 0B, 0C, 0D or 0E)`);
  const ndim = bytes[3];
  if (ndim === 0) fail('bad magic number: zero dimensions');
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) fail(`truncated: the header needs ${headerLen} bytes for ${ndim} dimensions, the file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  const want = count * type.size;
  const have = bytes.length - headerLen;
  if (want > have) fail(`truncated: shape [${shape.join(', ')}] of ${type.dtype} needs ${want} data bytes, the file has ${have}`);
  if (want < have) fail(`size mismatch: shape [${shape.join(', ')}] of ${type.dtype} needs ${want} data bytes, but the file has ${have - want} extra bytes`);

  const raw = bytes.subarray(headerLen);
  let data: IdxArray;
  switch (type.dtype) {
    case 'uint8': data = new Uint8Array(raw); break; // a copy (Buffer#slice would share memory)
    case 'int8': data = new Int8Array(new Uint8Array(raw).buffer); break;
    case 'int16': data = new Int16Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt16(headerLen + 2 * i, false); break;
    case 'int32': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt32(headerLen + 4 * i, false); break;
    case 'float32': data = new Float32Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat32(headerLen + 4 * i, false); break;
    case 'float64': data = new Float64Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat64(headerLen + 8 * i, false); break;
  }
  return { dtype: type.dtype, shape, data };
}

function hex(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < Math.min(to, b.length); i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}
