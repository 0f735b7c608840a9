// `deepten play dqn --checkpoint PATH`: runs a trained agent greedily and shows it. On a terminal each ASCII frame
// redraws the previous one in place (cursor home), at --fps frames per second; when stdout is a pipe or a file only
// every --every-th frame is printed. The first episode can be saved as an animated GIF and/or a PNG strip.
import { parseArgs, formatFlags, UsageError, type FlagSpec } from '../util/flags.ts';
import { setBackend } from '../backend/index.ts';
import { loadDqnCheckpoint } from '../train/recipes/dqn.ts';
import { cartPoleGif, cartPoleStrip } from '../rl/render.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { writePng } from '../viz/png.ts';

const flags: Record<string, FlagSpec> = {
  help: { type: 'boolean', help: 'show this help' },
  backend: { type: 'string', help: 'js or native (default: native when built)' },
  checkpoint: { type: 'string', help: 'agent checkpoint (.safetensors) or dqn run directory' },
  episodes: { type: 'number', help: 'greedy episodes to play', default: 1 },
  seed: { type: 'number', help: 'episode i starts from reset(seed + i)', default: 0 },
  gif: { type: 'string', help: 'write the first episode as an animated GIF (CartPole)' },
  png: { type: 'string', help: 'write a strip of frames of the first episode as a PNG (CartPole)' },
  fps: { type: 'number', help: 'frames per second (default: the task\'s real time, e.g. 50 for CartPole)' },
  every: { type: 'number', help: 'when stdout is not a terminal, print every N-th frame', default: 100 },
  'no-render': { type: 'boolean', help: 'print only the returns' },
};

const usage = `usage: deepten play dqn --checkpoint PATH [options]

Loads a trained DQN agent and plays greedy episodes, drawing each frame as text.

${formatFlags(flags)}`;

/** Where play writes: process.stdout, or a capture in tests. */
export interface PlayOutput {
  write(s: string): unknown;
  isTTY?: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const positiveInt = (name: string, v: number) => {
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`play: --${name} must be a positive integer, got ${v}`);
  return v;
};

/** Up to `count` indices spread evenly over 0 … n−1, first and last included. */
function spread(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, k) => Math.round((k * (n - 1)) / (count - 1)));
}

export async function play(argv: string[], out: PlayOutput = process.stdout): Promise<number> {
  const { positionals, flags: f } = parseArgs(argv, flags, { command: 'play', positionals: ['agent'] });
  if (f.help) { out.write(usage + '\n'); return 0; }
  if (positionals[0] !== 'dqn' || positionals.length > 1) {
    throw new UsageError(`play: only a dqn agent can be played${positionals.length ? `, got '${positionals.join(' ')}'` : ''}\n\n${usage}`);
  }
  if (f.backend !== undefined) {
    if (f.backend !== 'js' && f.backend !== 'native') throw new UsageError(`--backend must be js or native, got '${f.backend}'`);
    setBackend(f.backend);
  }
  if (typeof f.checkpoint !== 'string') throw new UsageError('play: --checkpoint PATH is required');
  const episodes = positiveInt('episodes', f.episodes as number);
  const every = positiveInt('every', f.every as number);
  const seed = f.seed as number;
  if (!Number.isInteger(seed)) throw new UsageError(`play: --seed must be an integer, got ${seed}`);
  const gifPath = f.gif as string | undefined, pngPath = f.png as string | undefined;

  const { agent, env: envName, info, file } = loadDqnCheckpoint(f.checkpoint);
  const fps = (f.fps as number | undefined) ?? info.renderFps;
  if (!(fps > 0)) throw new UsageError(`play: --fps must be positive, got ${fps}`);
  if ((gifPath || pngPath) && envName !== 'cartpole') {
    throw new UsageError(`play: --gif and --png draw CartPole only; ${info.id} plays as text`);
  }
  const render = !f['no-render'];
  const tty = Boolean(out.isTTY) && render;
  const env = info.make();
  const lines: string[] = [`${info.id}: ${file}`];
  const returns: number[] = [];
  const firstStates: number[][] = [];
  let interrupted = false, closed = false;
  // on a terminal, Ctrl-C ends the episode (frames wait on timers, so the handler runs) and the cursor comes back
  const onSigint = () => { interrupted = true; };
  if (tty) process.once('SIGINT', onSigint);
  // a reader that goes away (`deepten play … | head`) ends the episodes quietly instead of crashing on EPIPE
  if (out === process.stdout) {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE') throw e; closed = interrupted = true; });
    const raw = out;
    out = { isTTY: raw.isTTY, write: (s: string) => closed || raw.write(s) };
  }
  if (tty) out.write('\x1b[?25l\x1b[2J'); // hide the cursor, clear the screen
  else out.write(lines[0] + '\n');
  const frameMs = 1000 / fps;
  let next = Date.now();
  const draw = async (ep: number, step: number, ret: number) => {
    if (!render) return;
    const header = `episode ${ep + 1}/${episodes}  step ${step}  return ${ret}`;
    if (tty) {
      // cursor home, then each line cleared to its end, so a shorter frame leaves no debris
      const screen = [lines[0], header, '', env.render!(), '', ...lines.slice(1)].join('\n').split('\n');
      out.write('\x1b[H' + screen.map((l) => l + '\x1b[K').join('\n') + '\x1b[J');
      next += frameMs;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait); else next = Date.now();
    } else if (step % every === 0) {
      out.write(`${header}\n${env.render!()}\n\n`);
    }
  };
  try {
    for (let ep = 0; ep < episodes && !interrupted; ep++) {
      let obs = env.reset(seed + ep);
      let ret = 0, step = 0;
      if (ep === 0) firstStates.push(env.getState());
      await draw(ep, step, ret);
      for (;;) {
        const r = env.step(agent.act(obs, 0));
        obs = r.observation;
        ret += r.reward;
        step++;
        if (ep === 0) firstStates.push(env.getState());
        await draw(ep, step, ret);
        if (r.terminated || r.truncated || interrupted) break;
      }
      returns.push(ret);
      const line = `episode ${ep + 1}: return ${ret}, ${step} steps${interrupted ? ' (interrupted)' : ''}`;
      lines.push(line);
      // on a terminal the next frame shows it; the last episode's line goes below the last frame
      if (!tty) out.write(line + '\n');
      else if (ep === episodes - 1 || interrupted) out.write('\n' + line);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (tty) out.write('\n\x1b[?25h');
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
  out.write(`mean return ${mean.toFixed(1)} ± ${std.toFixed(1)} over ${returns.length} episode(s)\n`);
  if (gifPath) {
    // GIF delays are in hundredths of a second; viewers treat delays under 2 as slow, so 2 is the floor
    writeFileAtomic(gifPath, cartPoleGif(firstStates, { delayCs: Math.max(2, Math.round(100 / fps)) }));
    out.write(`wrote ${gifPath} (${firstStates.length} frames)\n`);
  }
  if (pngPath) {
    const img = cartPoleStrip(spread(firstStates.length, 10).map((i) => firstStates[i]));
    writePng(pngPath, img.width, img.height, img.pixels, img.channels);
    out.write(`wrote ${pngPath}\n`);
  }
  return interrupted && !closed ? 130 : 0;
}
