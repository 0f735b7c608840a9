// A run directory: config.json, metrics.jsonl (one line per logged step), checkpoints, images, summary.json.
import { appendFileSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';

export interface Summary {
  model: string;
  dataset: string;
  metric: string;
  value: number;
  steps: number;
  seconds: number;
  backend: string;
  seed: number;
  [extra: string]: unknown;
}

export interface MetricsLine {
  step: number;
  epoch: number;
  loss?: number;
  lr?: number;
  examplesPerSec?: number;
  [metric: string]: number | string | undefined;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

export class Run {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** A new run directory (default runs/<model>/<timestamp>), or an existing one when resuming. */
  static open(model: string, opts: { out?: string; resume?: string; config: unknown }): Run {
    if (opts.resume) {
      const dir = resolve(opts.resume);
      if (!existsSync(join(dir, 'config.json'))) throw new Error(`--resume ${opts.resume}: not a run directory (no config.json)`);
      return new Run(dir);
    }
    const dir = resolve(opts.out ?? join('runs', model, timestamp()));
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, 'config.json'), JSON.stringify(opts.config, null, 2) + '\n');
    return new Run(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  config<T>(): T {
    return JSON.parse(readFileSync(this.path('config.json'), 'utf8')) as T;
  }

  logMetrics(line: MetricsLine): void {
    appendFileSync(this.path('metrics.jsonl'), JSON.stringify(line) + '\n');
  }

  writeSummary(s: Summary): void {
    writeFileAtomic(this.path('summary.json'), JSON.stringify(s, null, 2) + '\n');
  }
}
