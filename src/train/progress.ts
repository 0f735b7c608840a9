// One progress reporter: a redrawn bar on a terminal, plain log lines otherwise (CI, pipes, files).
export interface ProgressInfo {
  step: number;
  total: number;
  epoch: number;
  loss: number;
  lr: number;
  examplesPerSec: number;
  /** What examplesPerSec counts (default 'ex'; 'tok', 'words', …). */
  unit?: string;
  extra?: Record<string, number | string>;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
}

export class Progress {
  private readonly tty: boolean;
  private lastLine = 0;
  private readonly start = Date.now();
  private readonly startStep: number;

  constructor(private readonly label: string, startStep = 0, private readonly logEvery = 10_000, private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY) && process.env.CI !== 'true';
    this.startStep = startStep;
  }

  update(p: ProgressInfo): void {
    const now = Date.now();
    const elapsed = (now - this.start) / 1000;
    const done = p.step - this.startStep;
    const eta = done > 0 ? (elapsed / done) * (p.total - p.step) : NaN;
    const extra = p.extra ? ' ' + Object.entries(p.extra).map(([k, v]) => `${k} ${typeof v === 'number' ? fmtNum(v) : v}`).join(' ') : '';
    const lr = Number.isFinite(p.lr) ? ` lr ${p.lr.toPrecision(3)}` : '';
    const rate = p.examplesPerSec > 0 ? ` ${p.examplesPerSec.toFixed(0)} ${p.unit ?? 'ex'}/s` : '';
    const stats = `epoch ${p.epoch} step ${p.step}/${p.total} loss ${fmtNum(p.loss)}${lr}${rate}${extra}`;
    if (this.tty) {
      if (now - this.lastLine < 100 && p.step < p.total) return;
      this.lastLine = now;
      const width = 24;
      const filled = Math.round((width * Math.min(p.step, p.total)) / Math.max(1, p.total));
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      this.out.write(`\r\x1b[2K${this.label} ${bar} ${stats} eta ${fmtTime(eta)}`);
    } else if (now - this.lastLine >= this.logEvery || p.step === p.total) {
      this.lastLine = now;
      this.out.write(`${this.label} ${stats} eta ${fmtTime(eta)}\n`);
    }
  }

  /** A line that must not be overwritten by the bar (evaluation results, notices). */
  log(line: string): void {
    this.out.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  done(): void {
    if (this.tty) this.out.write('\n');
  }
}
