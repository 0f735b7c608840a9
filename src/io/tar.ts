// A small, safe tar reader (Node has no tar built in), enough to unpack dataset archives such as CIFAR-10's
// cifar-10-binary.tar.gz, plus a minimal writer for tests and local mirrors.
// Format (POSIX.1-1988 ustar, as GNU tar and bsdtar write it): a sequence of 512-byte blocks; each member is one
// header block followed by ceil(size / 512) data blocks; a zero block ends the archive. Header fields used:
//   name[0,100) mode[100,108) size[124,136) mtime[136,148) chksum[148,156) typeflag[156] linkname[157,257)
//   magic[257,263) = "ustar\0" (POSIX) or "ustar " (GNU)   prefix[345,500) (POSIX only: path = prefix/name)
// Numbers are octal ASCII; chksum is the byte sum of the header with the chksum field read as 8 spaces.
// Long names come as a pax 'x' header (record "len path=value\n") or a GNU 'L' member before the entry.
// Safety: only regular files and directories are accepted; links, devices and fifos are refused, and so are
// absolute paths and '..' components, so extractTar can never write outside its destination. The whole archive is
// parsed and checked before anything is written. Archives starting with the gzip magic 1f 8b are gunzipped first.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { readBytes } from './bytes.ts';
import { writeFileAtomic } from './atomic.ts';

export interface TarEntry {
  /** Normalized relative path: '/'-separated, no '.', '..' or empty components. */
  path: string;
  type: 'file' | 'directory';
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** The member's bytes (a view into the archive; empty for directories). */
  data: Uint8Array;
}

const BLOCK = 512;

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link', '2': 'a symbolic link', '3': 'a character device', '4': 'a block device', '6': 'a fifo',
  K: 'a GNU long link name', S: 'a GNU sparse file', V: 'a GNU volume header', M: 'a GNU multi-volume continuation',
};

/** Reads a tar archive (path or bytes), gzipped or not. `name` labels a buffer in error messages. */
export function readTar(source: string | Uint8Array, name = typeof source === 'string' ? source : '<buffer>'): TarEntry[] {
  const fail = (msg: string): never => { throw new Error(`readTar: ${name}: ${msg}`); };
  let bytes = readBytes(source, fail);
  // Plain Uint8Array views (not Buffers), whatever the source, so entries compare and serialize alike.
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);

  const entries: TarEntry[] = [];
  // Pending overrides from a pax 'x' or GNU 'L' member, applied to the next header.
  let longPath: string | null = null;
  let paxSize: number | null = null;
  let off = 0;
  for (;;) {
    if (off === bytes.length) return fail('ends without the end-of-archive zero block (truncated?)');
    if (off + BLOCK > bytes.length) return fail(`truncated header at offset ${off} (${bytes.length - off} of ${BLOCK} bytes)`);
    const h = bytes.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const at = `header at offset ${off}`;
    checkHeader(h, at, fail);
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]);
    const headerSize = octal(h, 124, 12, `${at}: size`, fail);
    const size = paxSize ?? headerSize;
    const start = off + BLOCK;
    if (start + size > bytes.length) {
      return fail(`member at offset ${off} needs ${size} bytes of data but the archive ends ${bytes.length - start} bytes after its header (truncated?)`);
    }
    const data = bytes.subarray(start, start + size);
    off = start + Math.ceil(size / BLOCK) * BLOCK;
    if (off > bytes.length) return fail(`member at offset ${start - BLOCK} is missing the padding after its data (truncated?)`);

    if (type === 'x') {
      if (longPath !== null || paxSize !== null) return fail(`${at}: two extended headers in a row`);
      const pax = parsePax(data, at, fail);
      longPath = pax.path;
      paxSize = pax.size;
      continue;
    }
    if (type === 'L') {
      if (longPath !== null) return fail(`${at}: two long-name headers in a row`);
      longPath = cstr(data, 0, data.length);
      continue;
    }
    if (type === 'g') continue; // pax global header: only metadata defaults, nothing we use

    const raw = longPath ?? headerPath(h);
    longPath = null;
    paxSize = null;
    if (type !== '0' && type !== '7' && type !== '5') {
      const what = TYPE_NAMES[type] ?? `an entry of type '${printable(type)}'`;
      return fail(`'${printable(raw)}' is ${what}; only regular files and directories are accepted`);
    }
    const path = safePath(raw, at, fail);
    const mode = octal(h, 100, 8, `${at}: mode`, fail);
    const mtime = octal(h, 136, 12, `${at}: mtime`, fail);
    // Pre-POSIX archivers mark directories as regular files whose name ends in '/'.
    if (type === '5' || (raw.endsWith('/') && size === 0)) {
      if (path !== '') entries.push({ path, type: 'directory', mode, mtime, data: new Uint8Array(0) });
    } else {
      if (path === '') return fail(`${at}: a file with an empty path`);
      entries.push({ path, type: 'file', mode, mtime, data });
    }
  }
  if (longPath !== null || paxSize !== null) fail('ends right after an extended header, with no entry for it');
  return entries;
}

/**
 * Unpacks the regular files and directories of a tar archive (path or bytes, gzipped or not) under `dest`, each
 * file written atomically. The archive is fully validated first, so a bad archive writes nothing. Returns the
 * relative paths of the files written, in archive order.
 */
export function extractTar(source: string | Uint8Array, dest: string, name?: string): string[] {
  const entries = readTar(source, name);
  const root = resolve(dest);
  const written: string[] = [];
  mkdirSync(root, { recursive: true });
  for (const e of entries) {
    const target = join(root, ...e.path.split('/'));
    // readTar already refuses absolute paths and '..'; this is the last line of defence.
    if (!target.startsWith(root + sep)) throw new Error(`extractTar: '${e.path}' would land outside ${root}`);
    if (e.type === 'directory') {
      mkdirSync(target, { recursive: true });
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileAtomic(target, e.data);
      written.push(e.path);
    }
  }
  return written;
}

export interface TarWriteEntry {
  path: string;
  data?: Uint8Array | string;
  /** The raw typeflag: '0' file (default), '5' directory, '2' symlink, 'x' pax header, 'L' GNU long name, … */
  type?: string;
  linkname?: string;
  mode?: number;
  mtime?: number;
}

/**
 * A minimal POSIX ustar writer (paths up to 100 bytes, no prefix field), for tests and for building local
 * mirrors of dataset archives. It writes what it is given, unsafe paths and links included, so tests can build
 * hostile archives; readTar is where safety is enforced.
 */
export function packTar(entries: TarWriteEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const type = e.type ?? '0';
    const data = typeof e.data === 'string' ? enc.encode(e.data) : e.data ?? new Uint8Array(0);
    const h = new Uint8Array(BLOCK);
    const put = (s: string, at: number, len: number) => {
      const b = enc.encode(s);
      if (b.length > len) throw new Error(`packTar: '${s}' is longer than the ${len}-byte field at ${at}`);
      h.set(b, at);
    };
    const num = (v: number, at: number, len: number) => put(v.toString(8).padStart(len - 1, '0'), at, len - 1);
    put(e.path, 0, 100);
    num(e.mode ?? (type === '5' ? 0o755 : 0o644), 100, 8);
    num(0, 108, 8);
    num(0, 116, 8);
    num(data.length, 124, 12);
    num(e.mtime ?? 0, 136, 12);
    h[156] = type.charCodeAt(0);
    put(e.linkname ?? '', 157, 100);
    put('ustar\u000000', 257, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    put(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8);
    blocks.push(h);
    const padded = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
    padded.set(data);
    blocks.push(padded);
  }
  blocks.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(blocks.reduce((s, b) => s + b.length, 0));
  let off = 0;
  for (const b of blocks) { out.set(b, off); off += b.length; }
  return out;
}

// ------------------------------------------------------------------------------------------- helpers

type Fail = (msg: string) => never;

function checkHeader(h: Uint8Array, at: string, fail: Fail): void {
  // "ustar" at 257 (followed by NUL for POSIX, by a space for GNU); pre-POSIX v7 archives are not accepted.
  const magic = String.fromCharCode(...h.subarray(257, 262));
  if (magic !== 'ustar') fail(`${at}: no ustar magic (not a tar archive, or corrupted)`);
  const stored = octal(h, 148, 8, `${at}: checksum`, fail);
  // Unsigned byte sum per POSIX; some historic tars summed signed bytes, so either is accepted.
  let unsigned = 0, signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) fail(`${at}: header checksum ${stored} does not match the computed ${unsigned} (corrupted)`);
}

/** An octal ASCII field: optional leading spaces, digits 0–7, then NULs or spaces to the end. */
function octal(h: Uint8Array, at: number, len: number, what: string, fail: Fail): number {
  if (h[at] & 0x80) return fail(`${what} uses base-256 encoding (a member over 8 GiB?), which is not supported`);
  let i = at;
  const end = at + len;
  while (i < end && h[i] === 0x20) i++;
  let v = 0;
  for (; i < end && h[i] >= 0x30 && h[i] <= 0x37; i++) v = v * 8 + (h[i] - 0x30);
  for (; i < end; i++) {
    if (h[i] !== 0 && h[i] !== 0x20) return fail(`${what} field is not an octal number`);
  }
  return v;
}

/** The NUL-terminated string in bytes [at, at+len). */
function cstr(b: Uint8Array, at: number, len: number): string {
  let end = at;
  while (end < at + len && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + at, end - at).toString('utf8');
}

function headerPath(h: Uint8Array): string {
  const name = cstr(h, 0, 100);
  // POSIX ustar ("ustar\0") splits long paths into prefix/name; GNU ("ustar ") uses those bytes for other fields.
  const prefix = h[262] === 0 ? cstr(h, 345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** pax extended header records: "<len> <key>=<value>\n", len counting the whole record. Only path and size are used. */
function parsePax(data: Uint8Array, at: string, fail: Fail): { path: string | null; size: number | null } {
  let path: string | null = null, size: number | null = null;
  let i = 0;
  while (i < data.length) {
    let j = i;
    while (j < data.length && data[j] >= 0x30 && data[j] <= 0x39 && j - i < 12) j++;
    const len = Number(Buffer.from(data.subarray(i, j)).toString('latin1'));
    if (j === i || data[j] !== 0x20 || !(len > j - i + 1) || i + len > data.length || data[i + len - 1] !== 0x0a) {
      return fail(`${at}: malformed pax extended header record at byte ${i}`);
    }
    const rec = Buffer.from(data.subarray(j + 1, i + len - 1)).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq <= 0) return fail(`${at}: malformed pax extended header record at byte ${i}`);
    const key = rec.slice(0, eq), value = rec.slice(eq + 1);
    if (key === 'path') path = value;
    else if (key === 'size') {
      if (!/^\d{1,15}$/.test(value)) return fail(`${at}: pax size '${printable(value)}' is not a decimal number`);
      size = Number(value);
    }
    i += len;
  }
  return { path, size };
}

/** The normalized relative path, refusing absolute paths, '..' and characters that change meaning on some systems. */
function safePath(raw: string, at: string, fail: Fail): string {
  const shown = printable(raw);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) fail(`${at}: '${shown}' is an absolute path; refused`);
  if (raw.includes('\\')) fail(`${at}: '${shown}' contains a backslash; refused`);
  if (/[\u0000-\u001f]/.test(raw)) fail(`${at}: '${shown}' contains control characters; refused`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) fail(`${at}: '${shown}' contains a '..' component; refused`);
  return parts.join('/');
}

/** A string safe to put in an error message (control characters escaped, long strings cut). */
function printable(s: string): string {
  const t = s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return t.length > 200 ? t.slice(0, 200) + '…' : t;
}
