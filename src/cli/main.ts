// `deepten <command>`: list, info, train, eval, experiment, play, sample, similar, analogy, translate.
import { parseArgs, parseSettings, formatFlags, UsageError, type FlagSpec } from '../util/flags.ts';
import { recipes, models } from '../train/recipes/index.ts';
import { backendInfo, setBackend } from '../backend/index.ts';

const common: Record<string, FlagSpec> = {
  help: { type: 'boolean', help: 'show this help' },
  backend: { type: 'string', help: 'js or native (default: native when built)' },
};

const trainFlags: Record<string, FlagSpec> = {
  ...common,
  epochs: { type: 'number', help: 'number of epochs' },
  'max-steps': { type: 'number', help: 'stop after this many optimizer steps' },
  'batch-size': { type: 'number', help: 'examples per batch' },
  lr: { type: 'number', help: 'learning rate' },
  seed: { type: 'number', help: 'random seed' },
  out: { type: 'string', help: 'run directory (default runs/<model>/<timestamp>)' },
  'data-dir': { type: 'string', help: 'dataset directory (else $DEEPTEN_DATA, then ~/.cache/deepten)' },
  resume: { type: 'string', help: 'continue the run in this directory from its last checkpoint' },
  overwrite: { type: 'boolean', help: 'replace the run already in --out' },
  'checkpoint-every': { type: 'number', help: 'also checkpoint every N steps (default: epoch ends, every 10 minutes, signals)' },
  'checkpoint-minutes': { type: 'number', help: 'checkpoint at least every M minutes (default 10)' },
  dataset: { type: 'string', help: 'dataset, for models that train on several' },
  set: { type: 'string', help: 'recipe overrides, comma-separated key=value', repeatable: true },
  threads: { type: 'number', help: 'threads, for recipes that have a threads setting (word2vec\'s Hogwild threads)' },
};

const evalFlags: Record<string, FlagSpec> = {
  ...common,
  checkpoint: { type: 'string', help: 'checkpoint file (.safetensors) or run directory' },
  'data-dir': trainFlags['data-dir'],
  dataset: trainFlags.dataset,
  samples: { type: 'number', help: 'generative models: images to generate and judge (default 10000)' },
  text: { type: 'string', help: 'language models: the perplexity of this text file instead of the test split' },
};

const usage = `deepten — ten landmark deep-learning models, trained from scratch in TypeScript

usage: deepten <command> [options]

commands:
  list                      the models, their tasks and reference results
  info                      the backend in use, its BLAS library and threads
  train <model> [options]   train a model (deepten train <model> --help)
  eval <model> --checkpoint PATH
  experiment <name>         reproduce one of the article's claims (deepten experiment --help)
  play dqn --checkpoint PATH
  sample [model] --checkpoint PATH   text from a trained language model (deepten sample --help)
  similar VECTORS WORD      the words nearest to WORD in trained word vectors (-n 10)
  analogy VECTORS A B C     A is to B as C is to ? (word vectors, 3CosAdd)
  translate --checkpoint RUN "SENTENCE"   translate German to English with a trained transformer

Run 'deepten <command> --help' for a command's options.`;

function out(s: string): void {
  process.stdout.write(s + '\n');
}

function selectBackend(flags: Record<string, unknown>): void {
  const b = flags.backend;
  if (b === undefined) return;
  if (b !== 'js' && b !== 'native') throw new UsageError(`--backend must be js or native, got '${b}'`);
  setBackend(b);
}

function parseSet(s: unknown): Record<string, string> | undefined {
  return typeof s === 'string' ? parseSettings('set', s) : undefined;
}

function recipeFor(name: string | undefined, cmd: string) {
  if (!name) throw new UsageError(`${cmd}: which model? one of ${Object.keys(recipes).join(', ')}`);
  const r = recipes[name];
  if (!r) {
    const known = models().find((c) => c.name === name);
    throw new UsageError(known ? `${cmd}: ${name} has no training recipe yet` : `${cmd}: unknown model '${name}'; one of ${Object.keys(recipes).join(', ')}`);
  }
  return r;
}

async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === 'help' || cmd === '-h') { out(usage); return cmd ? 0 : 1; }
  switch (cmd) {
    case 'list': {
      const { flags } = parseArgs(rest, common, { command: 'list' });
      if (flags.help) { out('usage: deepten list\n\nPrints each model, its task and its reference result.'); return 0; }
      for (const c of models()) {
        out(`${c.name.padEnd(12)}${c.title}\n${''.padEnd(12)}task: ${c.task}\n${''.padEnd(12)}reference: ${c.reference}`);
      }
      return 0;
    }
    case 'info': {
      const { flags } = parseArgs(rest, common, { command: 'info' });
      if (flags.help) { out(`usage: deepten info [options]\n\n${formatFlags(common)}`); return 0; }
      selectBackend(flags);
      const i = backendInfo();
      out(`backend: ${i.name}\nblas: ${i.blas}\nthreads: ${i.threads}\nnode: ${process.version}`);
      return 0;
    }
    case 'train': {
      const { positionals, flags } = parseArgs(rest, trainFlags, { command: 'train', positionals: ['model'] });
      if (flags.help) { out(`usage: deepten train <model> [options]\n\nmodels: ${Object.keys(recipes).join(', ')}\n\n${formatFlags(trainFlags)}`); return 0; }
      selectBackend(flags);
      const r = recipeFor(positionals[0], 'train');
      const summary = await r.train({
        epochs: flags.epochs as number | undefined, maxSteps: flags['max-steps'] as number | undefined,
        batchSize: flags['batch-size'] as number | undefined, lr: flags.lr as number | undefined,
        seed: flags.seed as number | undefined, out: flags.out as string | undefined, dataDir: flags['data-dir'] as string | undefined,
        resume: flags.resume as string | undefined, dataset: flags.dataset as string | undefined, set: parseSet(flags.set),
        overwrite: flags.overwrite === true ? true : undefined,
        checkpointEvery: flags['checkpoint-every'] as number | undefined, checkpointMinutes: flags['checkpoint-minutes'] as number | undefined,
        threads: flags.threads as number | undefined,
      });
      out(JSON.stringify(summary));
      // 128 + the signal's number, as a shell reports a command a signal stopped
      return summary.interrupted ? (summary.stoppedBy === 'SIGTERM' ? 143 : 130) : 0;
    }
    case 'eval': {
      const { positionals, flags } = parseArgs(rest, evalFlags, { command: 'eval', positionals: ['model'] });
      if (flags.help) { out(`usage: deepten eval <model> --checkpoint PATH [options]\n\n${formatFlags(evalFlags)}`); return 0; }
      selectBackend(flags);
      const r = recipeFor(positionals[0], 'eval');
      if (typeof flags.checkpoint !== 'string') throw new UsageError('eval: --checkpoint PATH is required');
      const samples = flags.samples as number | undefined;
      if (samples !== undefined && !r.generative) throw new UsageError(`eval: --samples applies to generative models (${Object.values(recipes).filter((x) => x.generative).map((x) => x.name).join(', ') || 'none yet'}), not ${r.name}`);
      if (flags.text !== undefined && !r.languageModel) throw new UsageError(`eval: --text applies to language models (${Object.values(recipes).filter((x) => x.languageModel).map((x) => x.name).join(', ')}), not ${r.name}`);
      const metrics = await r.evaluate({ checkpoint: flags.checkpoint, dataDir: flags['data-dir'] as string | undefined, dataset: flags.dataset as string | undefined, samples, text: flags.text as string | undefined });
      out(JSON.stringify(metrics));
      return 0;
    }
    case 'experiment': {
      const { experiments } = await import('../experiments/index.ts');
      const [name, ...more] = rest;
      if (!name || name === '--help') {
        out(`usage: deepten experiment <name> [options]\n\nexperiments:\n${Object.entries(experiments).map(([k, e]) => `  ${k.padEnd(24)}${e.summary}`).join('\n')}\n\nRun 'deepten experiment <name> --help' for its options.`);
        return name ? 0 : 2;
      }
      const e = experiments[name];
      if (!e) throw new UsageError(`experiment: unknown experiment '${name}'; one of ${Object.keys(experiments).join(', ')}`);
      const { flags } = parseArgs(more, { ...common, ...e.flags }, { command: `experiment ${name}` });
      if (flags.help) { out(`usage: deepten experiment ${name} [options]\n\n${e.summary}\n\n${formatFlags({ ...common, ...e.flags })}`); return 0; }
      selectBackend(flags);
      await e.run(flags);
      return 0;
    }
    case 'play': {
      const { play } = await import('./play.ts');
      return play(rest);
    }
    case 'sample': {
      const { sample } = await import('./sample.ts');
      return sample(rest);
    }
    case 'similar': {
      const { similar } = await import('./vectors.ts');
      return similar(rest);
    }
    case 'analogy': {
      const { analogy } = await import('./vectors.ts');
      return analogy(rest);
    }
    case 'translate': {
      const { translateCommand } = await import('./translate.ts');
      return translateCommand(rest);
    }
    default:
      throw new UsageError(`unknown command '${cmd}'\n\n${usage}`);
  }
}

/** Runs the CLI; returns the exit code. Errors print one line (the message), never a stack, unless DEEPTEN_DEBUG is set. */
export { UsageError };

export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`deepten: ${process.env.DEEPTEN_DEBUG ? err.stack : err.message}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
