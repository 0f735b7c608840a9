// The command-line parser: strict about typos (unknown, single-dash and repeated options, extra positionals), and
// --set's repeats merged with the same key refused.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseSettings, formatFlags, UsageError, type FlagSpec } from '../../src/util/flags.ts';

const spec: Record<string, FlagSpec> = {
  help: { type: 'boolean', help: 'show this help' },
  epochs: { type: 'number', help: 'number of epochs' },
  seed: { type: 'number', help: 'random seed', default: 1 },
  out: { type: 'string', help: 'run directory' },
  set: { type: 'string', help: 'overrides', repeatable: true },
};
const usage = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => e instanceof UsageError && re.test(e.message), String(re));

describe('parseArgs', () => {
  test('values, defaults, --name=value, declared positionals', () => {
    const p = parseArgs(['mlp', '--epochs', '3', '--out=runs/x'], spec, { positionals: ['model'] });
    assert.deepEqual(p.positionals, ['mlp']);
    assert.deepEqual(p.flags, { epochs: 3, out: 'runs/x', seed: 1 });
  });
  test('a negative number after a number flag is its value', () => {
    assert.equal(parseArgs(['--seed', '-1'], spec).flags.seed, -1);
    assert.equal(parseArgs(['--seed=-7'], spec).flags.seed, -7);
    assert.equal(parseArgs(['--epochs', '-1e3'], spec).flags.epochs, -1000);
  });
  test('extra positionals are refused, naming what the command takes', () => {
    usage(() => parseArgs(['mlp', 'lenet'], spec, { command: 'train', positionals: ['model'] }), /^train: unexpected argument 'lenet' \(train takes <model>; options start with --\)$/);
    usage(() => parseArgs(['x'], spec, { command: 'list' }), /^list: unexpected argument 'x' \(list takes no arguments/);
    usage(() => parseArgs(['x'], spec), /unexpected argument 'x'/);
  });
  test('single-dash options are refused with a suggestion; -h stays --help', () => {
    usage(() => parseArgs(['-epochs', '3'], spec, { command: 'train' }), /^train: options take two dashes: '-epochs'; did you mean --epochs\?$/);
    usage(() => parseArgs(['-out=x'], spec), /options take two dashes: '-out=x'; did you mean --out\?/);
    usage(() => parseArgs(['-z'], spec), /^options take two dashes: '-z'$/);
    assert.equal(parseArgs(['-h'], spec).flags.help, true);
    usage(() => parseArgs(['-h'], { seed: spec.seed }), /options take two dashes: '-h'/);
  });
  test('a flag given twice is refused; --set repeats are merged', () => {
    usage(() => parseArgs(['--epochs', '3', '--epochs', '4'], spec), /--epochs is given twice/);
    usage(() => parseArgs(['--help', '--help'], spec), /--help is given twice/);
    usage(() => parseArgs(['--out', 'a', '--out=b'], spec), /--out is given twice/);
    assert.equal(parseArgs(['--set', 'a=1', '--set', 'b=2,c=3'], spec).flags.set, 'a=1,b=2,c=3');
  });
  test('a forgotten value is not taken from the next option', () => {
    usage(() => parseArgs(['--out', '--epochs', '3'], spec), /--out needs a value, got the option '--epochs'/);
    usage(() => parseArgs(['--out'], spec), /--out needs a value$/);
  });
  test('unknown options, bad numbers, values on booleans', () => {
    usage(() => parseArgs(['--epoch', '3'], spec), /unknown option --epoch$/);
    usage(() => parseArgs(['--__proto__', '3'], spec), /unknown option --__proto__/);
    usage(() => parseArgs(['--toString', '3'], spec), /unknown option --toString/);
    usage(() => parseArgs(['--epochs', 'two'], spec), /--epochs must be a number, got 'two'/);
    usage(() => parseArgs(['--help=yes'], spec), /--help takes no value/);
  });
  test('help text marks repeatable flags', () => {
    assert.match(formatFlags(spec), /--set <value>\s+overrides \(may be repeated\)/);
  });
});

describe('parseSettings', () => {
  test('key=value pairs into a map without a prototype', () => {
    const s = parseSettings('set', 'optimizer=adam, lr=0.1,mean=0.1/0.2');
    assert.deepEqual({ ...s }, { optimizer: 'adam', lr: '0.1', mean: '0.1/0.2' });
    assert.equal(Object.getPrototypeOf(s), null);
    const p = parseSettings('set', '__proto__=x');
    assert.equal(p.__proto__, 'x');
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
  test('the same key twice is refused, across merged --set flags too', () => {
    usage(() => parseSettings('set', 'lr=0.1,lr=0.2'), /--set sets 'lr' twice \('0.1' and '0.2'\)/);
    const merged = parseArgs(['--set', 'lr=0.1', '--set', 'lr=0.2'], spec).flags.set as string;
    usage(() => parseSettings('set', merged), /--set sets 'lr' twice/);
  });
  test('pairs without a key are refused', () => {
    usage(() => parseSettings('set', 'lr'), /--set expects key=value pairs, got 'lr'/);
    usage(() => parseSettings('set', '=3'), /--set expects key=value pairs, got '=3'/);
  });
});
