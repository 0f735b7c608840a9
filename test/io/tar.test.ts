// The tar reader that unpacks dataset archives: round trips with the in-tree writer, interop with the system tar
// (when installed), refusal of unsafe members, clean errors on corrupt input (seeded fuzz).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTar, extractTar, packTar, type TarWriteEntry } from '../../src/io/tar.ts';
import { Generator } from '../../src/random.ts';

const enc = new TextEncoder();
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-tar-'));

/** Bytes 0..n-1 (mod 251) so every offset is distinguishable. */
const ramp = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

const sample: TarWriteEntry[] = [
  { path: 'd/', type: '5' },
  { path: 'd/a.txt', data: 'hello\n', mode: 0o600, mtime: 1234567890 },
  { path: 'd/empty', data: '' },
  { path: 'd/exact', data: ramp(512) },
  { path: './d/sub/big.bin', data: ramp(1500) },
];

test('packTar → readTar round trip: paths normalized, data exact, directories and empty files kept', () => {
  const tar = packTar(sample);
  assert.equal(tar.length % 512, 0);
  // header + 1 + header + 0 + header + 1 + header + 3 data blocks, directory header, 2 end blocks
  assert.equal(tar.length, 512 * (1 + 2 + 1 + 2 + 4 + 2));
  const got = readTar(tar);
  assert.deepEqual(got.map((e) => [e.path, e.type, e.data.length]), [
    ['d', 'directory', 0], ['d/a.txt', 'file', 6], ['d/empty', 'file', 0], ['d/exact', 'file', 512], ['d/sub/big.bin', 'file', 1500],
  ]);
  assert.equal(text(got[1].data), 'hello\n');
  assert.equal(got[1].mode, 0o600);
  assert.equal(got[1].mtime, 1234567890);
  assert.deepEqual(got[4].data, ramp(1500));
  // gzipped archives are recognized by their magic bytes
  assert.deepEqual(readTar(gzipSync(tar)).map((e) => e.path), got.map((e) => e.path));
  // a lone end block (some writers) also ends the archive; trailing record padding is ignored
  assert.equal(readTar(tar.subarray(0, tar.length - 512)).length, 5);
  const padded = new Uint8Array(tar.length + 10240);
  padded.set(tar);
  assert.equal(readTar(padded).length, 5);
});

test('readTar: pax and GNU long names, the POSIX prefix field, old-style directory entries, pax global headers', () => {
  const long = 'x/'.repeat(70) + 'file.txt'; // 148 bytes: too long for the name field
  const tar = packTar([
    { path: 'pax_header', type: 'g', data: '19 comment=ignored\n' },
    { path: 'PaxHeaders/f', type: 'x', data: paxRecord('path', long) },
    { path: 'truncated-name', data: 'pax' },
    { path: '././@LongLink', type: 'L', data: long + '\0' },
    { path: 'also-truncated', data: 'gnu' },
    { path: 'olddir/', data: '' },
  ]);
  const got = readTar(tar);
  assert.deepEqual(got.map((e) => [e.path, e.type, text(e.data)]), [[long, 'file', 'pax'], [long, 'file', 'gnu'], ['olddir', 'directory', '']]);
  // POSIX prefix: 'pre/fix' + '/' + name
  const t2 = packTar([{ path: 'name.bin', data: 'p' }]);
  t2.set(enc.encode('pre/fix'), 345);
  fixChecksum(t2, 0);
  assert.equal(readTar(t2)[0].path, 'pre/fix/name.bin');
  // a pax size overrides the header's
  const t3 = packTar([{ path: 'h', type: 'x', data: paxRecord('size', '3') }, { path: 'f', data: 'abc' }]);
  t3.fill(0x30, 1024 + 124, 1024 + 135); // header size field → 0
  fixChecksum(t3, 1024);
  assert.equal(text(readTar(t3)[0].data), 'abc');
});

test('readTar refuses links, devices, absolute paths and .. components, naming the member', () => {
  const cases: [TarWriteEntry[], RegExp][] = [
    [[{ path: 'evil', type: '2', linkname: '/etc/passwd' }], /'evil' is a symbolic link; only regular files and directories are accepted/],
    [[{ path: 'hard', type: '1', linkname: 'a' }], /'hard' is a hard link/],
    [[{ path: 'dev', type: '3' }], /'dev' is a character device/],
    [[{ path: 'fifo', type: '6' }], /'fifo' is a fifo/],
    [[{ path: 'odd', type: 'Q' }], /'odd' is an entry of type 'Q'/],
    [[{ path: '/etc/cron.d/x', data: 'x' }], /'\/etc\/cron\.d\/x' is an absolute path; refused/],
    [[{ path: 'a/../../x', data: 'x' }], /'a\/\.\.\/\.\.\/x' contains a '\.\.' component; refused/],
    [[{ path: '..', type: '5' }], /contains a '\.\.' component/],
    [[{ path: 'C:/x', data: 'x' }], /absolute path/],
    [[{ path: 'a\\..\\x', data: 'x' }], /contains a backslash/],
    [[{ path: 'a\nb', data: 'x' }], /'a\\x0ab' contains control characters/],
    [[{ path: 'h', type: 'x', data: paxRecord('path', '../up') }, { path: 'ok', data: 'x' }], /'\.\.\/up' contains a '\.\.' component/],
    [[{ path: '.', data: 'x' }], /a file with an empty path/],
  ];
  for (const [entries, re] of cases) {
    assert.throws(() => readTar(packTar(entries), 'evil.tar'), (e: Error) => e.constructor === Error && /^readTar: evil\.tar: /.test(e.message) && re.test(e.message), String(re));
  }
});

test('readTar: corrupt and truncated archives give errors that say what is wrong', () => {
  const tar = packTar(sample);
  const bad = (bytes: Uint8Array, re: RegExp) => assert.throws(() => readTar(bytes, 'x.tar'), (e: Error) => e.constructor === Error && e.message.startsWith('readTar: x.tar: ') && re.test(e.message), String(re));
  bad(tar.subarray(0, 512 * 8), /member at offset 3072 needs 1500 bytes of data but the archive ends 512 bytes after its header \(truncated\?\)/);
  bad(tar.subarray(0, 512 * 10), /ends without the end-of-archive zero block/);
  bad(tar.subarray(0, 512 * 3 + 100), /truncated header at offset 1536 \(100 of 512 bytes\)/);
  bad(new Uint8Array(0), /ends without the end-of-archive zero block/);
  const flipped = tar.slice(); flipped[600] ^= 1;
  bad(flipped, /header at offset 512: header checksum \d+ does not match the computed \d+ \(corrupted\)/);
  const noMagic = tar.slice(); noMagic[257] = 0x41;
  bad(noMagic, /header at offset 0: no ustar magic \(not a tar archive, or corrupted\)/);
  const badSize = tar.slice(); badSize[512 + 125] = 0x39; fixChecksum(badSize, 512);
  bad(badSize, /header at offset 512: size field is not an octal number/);
  const b256 = tar.slice(); b256[512 + 124] = 0x80; fixChecksum(b256, 512);
  bad(b256, /size uses base-256 encoding/);
  bad(readFileSync(new URL(import.meta.url)), /no ustar magic/);
  const gz = gzipSync(tar);
  bad(gz.subarray(0, gz.length - 20), /corrupt or truncated gzip data/);
  bad(packTar([{ path: 'h', type: 'x', data: '99 path=x\n' }, { path: 'f' }]), /malformed pax extended header record at byte 0/);
  bad(packTar([{ path: 'h', type: 'x', data: paxRecord('size', '-1') }, { path: 'f' }]), /pax size '-1' is not a decimal number/);
  bad(packTar([{ path: 'h', type: 'x', data: paxRecord('path', 'a') }]), /ends right after an extended header/);
  assert.throws(() => readTar('/no/such/file.tar'), /readTar: \/no\/such\/file\.tar: cannot read: ENOENT/);
});

test('extractTar writes files under the destination only, and writes nothing from an archive it refuses', () => {
  const root = tmp();
  try {
    const dest = join(root, 'out');
    const written = extractTar(gzipSync(packTar(sample)), dest);
    assert.deepEqual(written, ['d/a.txt', 'd/empty', 'd/exact', 'd/sub/big.bin']);
    assert.equal(readFileSync(join(dest, 'd', 'a.txt'), 'utf8'), 'hello\n');
    assert.deepEqual(new Uint8Array(readFileSync(join(dest, 'd', 'sub', 'big.bin'))), ramp(1500));
    assert.equal(readFileSync(join(dest, 'd', 'empty')).length, 0);
    const evil = packTar([{ path: 'first.txt', data: 'x' }, { path: '../escaped.txt', data: 'x' }]);
    const dest2 = join(root, 'out2');
    assert.throws(() => extractTar(evil, dest2, 'evil.tar'), /readTar: evil\.tar: header at offset 1024: '\.\.\/escaped\.txt' contains a '\.\.' component; refused/);
    assert.ok(!existsSync(dest2), 'nothing written, not even the safe member before the bad one');
    assert.ok(!existsSync(join(root, 'escaped.txt')));
  } finally { rmSync(root, { recursive: true, force: true }); }
});

const hasTar = existsSync('/usr/bin/tar');

test('interop with the system tar: it reads our archives, we read its gnu, ustar and pax archives', { skip: !hasTar && '/usr/bin/tar not installed' }, () => {
  const root = tmp();
  try {
    // theirs → ours
    const src = join(root, 'src');
    mkdirSync(join(src, 'cifar-10-batches-bin'), { recursive: true });
    const long = 'n'.repeat(120);
    writeFileSync(join(src, 'cifar-10-batches-bin', 'data.bin'), ramp(3073 * 2));
    writeFileSync(join(src, 'cifar-10-batches-bin', long), 'long name');
    for (const format of ['gnu', 'ustar', 'pax']) {
      const out = join(root, `t-${format}.tar.gz`);
      const files = format === 'ustar' ? ['cifar-10-batches-bin/data.bin'] : ['cifar-10-batches-bin'];
      execFileSync('/usr/bin/tar', [`--format=${format}`, '-czf', out, '-C', src, ...files]);
      const got = readTar(out);
      const byPath = new Map(got.map((e) => [e.path, e]));
      assert.deepEqual(byPath.get('cifar-10-batches-bin/data.bin')?.data, ramp(3073 * 2), format);
      if (format !== 'ustar') assert.equal(text(byPath.get(`cifar-10-batches-bin/${long}`)!.data), 'long name', format);
    }
    // ours → theirs
    const ours = join(root, 'ours.tar');
    writeFileSync(ours, packTar(sample));
    const dest = join(root, 'x');
    mkdirSync(dest);
    execFileSync('/usr/bin/tar', ['-xf', ours, '-C', dest]);
    assert.equal(readFileSync(join(dest, 'd', 'a.txt'), 'utf8'), 'hello\n');
    assert.deepEqual(new Uint8Array(readFileSync(join(dest, 'd', 'sub', 'big.bin'))), ramp(1500));
    assert.deepEqual(readdirSync(join(dest, 'd')).sort(), ['a.txt', 'empty', 'exact', 'sub']);
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('fuzz: 400 garbled or truncated archives either parse to safe entries or throw a clean readTar error', () => {
  const g = new Generator(7);
  const base = packTar([...sample, { path: 'h', type: 'x', data: paxRecord('path', 'p/long') }, { path: 'f', data: 'abc' }]);
  let threw = 0;
  for (let k = 0; k < 400; k++) {
    let b: Uint8Array = base.slice();
    const mode = k % 4;
    if (mode === 0) b = b.subarray(0, g.randint(0, b.length)); // truncation
    else {
      const flips = g.randint(1, 8);
      for (let i = 0; i < flips; i++) {
        // mode 1: anywhere; mode 2: in a header with the checksum repaired so the field parsers are reached
        const hdr = 512 * [0, 1, 3, 4, 6, 10, 12][g.randint(0, 7)]; // the header blocks
        const at = mode === 1 ? g.randint(0, b.length) : hdr + g.randint(0, 512);
        b[at] = g.randint(0, 256);
        if (mode === 2) fixChecksum(b, hdr);
      }
      if (mode === 3) b = gzipSync(b).subarray(0, g.randint(0, 200)); // broken gzip streams
    }
    try {
      for (const e of readTar(b, `fuzz${k}.tar`)) {
        assert.ok(e.path !== '' && !e.path.startsWith('/') && !e.path.split('/').includes('..'), e.path);
        assert.ok(e.type === 'file' || (e.type === 'directory' && e.data.length === 0));
      }
    } catch (e) {
      threw++;
      assert.equal((e as Error).constructor, Error, `case ${k}: ${(e as Error).stack}`);
      assert.ok((e as Error).message.startsWith(`readTar: fuzz${k}.tar: `), (e as Error).message);
    }
  }
  assert.ok(threw > 100 && threw < 400, `${threw} of 400 threw: the fuzz reaches both outcomes`);
});

/** One pax record: "<len> key=value\n", where len counts the whole record including its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  return `${len}${body}`;
}

/** Recomputes the checksum of the header at `off` after a test edits it. */
function fixChecksum(b: Uint8Array, off: number): void {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[off + i];
  b.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0 '), off + 148);
}
