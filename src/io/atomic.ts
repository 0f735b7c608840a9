// Atomic file replacement: write a temporary file in the target's directory, fsync it, then rename it over the
// target. rename(2) within one filesystem is atomic, so readers see either the old file or the complete new one,
// and a write that fails part-way (exception, full disk) leaves the old file untouched.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Bytes to write: one buffer, a string (UTF-8), or chunks written in order (so large files need not be concatenated). */
export type FileData = Uint8Array | string | Iterable<Uint8Array>;

export function writeFileAtomic(path: string, data: FileData): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw new Error(`writeFileAtomic: cannot create a temporary file next to ${path}: ${(e as Error).message}`);
  }
  let renamed = false;
  try {
    const chunks: Iterable<Uint8Array> = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.byteLength) off += writeSync(fd, chunk, off, chunk.byteLength - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
    renamed = true;
    syncDir(dir);
  } catch (e) {
    if (fd >= 0) try { closeSync(fd); } catch { /* already failing */ }
    if (!renamed) try { unlinkSync(tmp); } catch { /* may not exist */ }
    throw e instanceof Error ? new Error(`writeFileAtomic: writing ${path} failed (old file left intact): ${e.message}`, { cause: e }) : e;
  }
}

/** fsync the directory so the rename itself survives a crash; not supported everywhere, hence best-effort. */
function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch { /* e.g. Windows cannot open directories */ } finally {
    if (fd >= 0) closeSync(fd);
  }
}
