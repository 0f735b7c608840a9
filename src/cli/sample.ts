// `deepten sample [model] --checkpoint PATH`: text from any trained language model. The model's recipe is named on
// the command line or found from the run directory's summary.json (its `model`); the recipe's languageModel()
// loads the weights and tokenizer, and models/generate.ts draws the tokens (the same seed gives the same text).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs, formatFlags, UsageError, type FlagSpec } from '../util/flags.ts';
import { setBackend } from '../backend/index.ts';
import { recipes } from '../train/recipes/index.ts';
import { generate } from '../models/generate.ts';

const flags: Record<string, FlagSpec> = {
  help: { type: 'boolean', help: 'show this help' },
  backend: { type: 'string', help: 'js or native (default: native when built)' },
  checkpoint: { type: 'string', help: 'weights file (.safetensors) in a run directory, or the run directory' },
  'data-dir': { type: 'string', help: 'dataset directory, for models that need their data to load' },
  prompt: { type: 'string', help: 'text to continue (default: the model\'s start token, e.g. a line break)', default: '' },
  length: { type: 'number', help: 'tokens to generate', default: 200 },
  temperature: { type: 'number', help: 'divides the logits; 0 = greedy (argmax)', default: 1 },
  'top-k': { type: 'number', help: 'sample among the k most likely tokens only (0 = all)', default: 0 },
  'top-p': { type: 'number', help: 'sample among the most likely tokens covering probability p (1 = all)', default: 1 },
  seed: { type: 'number', help: 'random seed: the same seed gives the same text', default: 0 },
};

const usage = `usage: deepten sample [model] --checkpoint PATH [options]

Generates text from a trained language model (the model is read from the run's summary.json when not given).

${formatFlags(flags)}`;

/** The model named in the run directory's summary.json, or null. */
function modelOfRun(checkpoint: string): string | null {
  const dir = existsSync(checkpoint) && statSync(checkpoint).isDirectory() ? checkpoint : dirname(checkpoint);
  const p = join(dir, 'summary.json');
  if (!existsSync(p)) return null;
  try {
    const m = (JSON.parse(readFileSync(p, 'utf8')) as { model?: unknown }).model;
    return typeof m === 'string' ? m : null;
  } catch (e) {
    throw new Error(`${p}: not valid JSON (${(e as Error).message})`);
  }
}

export async function sample(argv: string[], out: { write(s: string): unknown } = process.stdout): Promise<number> {
  const { positionals, flags: f } = parseArgs(argv, flags, { command: 'sample', positionals: ['model'] });
  if (f.help) { out.write(usage + '\n'); return 0; }
  if (f.backend !== undefined) {
    if (f.backend !== 'js' && f.backend !== 'native') throw new UsageError(`--backend must be js or native, got '${f.backend}'`);
    setBackend(f.backend);
  }
  if (typeof f.checkpoint !== 'string') throw new UsageError('sample: --checkpoint PATH is required');
  if (!existsSync(f.checkpoint)) throw new UsageError(`sample: --checkpoint ${f.checkpoint}: no such file or directory`);
  const name = positionals[0] ?? modelOfRun(f.checkpoint);
  if (!name) throw new UsageError(`sample: ${f.checkpoint} has no summary.json naming its model (the run has not finished); name it: deepten sample <model> --checkpoint ${f.checkpoint}`);
  const recipe = recipes[name];
  const samplable = Object.values(recipes).filter((r) => r.languageModel).map((r) => r.name);
  if (!recipe || !recipe.languageModel) throw new UsageError(`sample: '${name}' is not a language model; one of ${samplable.join(', ')}`);
  const length = f.length as number;
  if (!Number.isInteger(length) || length < 0) throw new UsageError(`sample: --length must be a non-negative integer, got ${length}`);
  const seed = f.seed as number;
  if (!Number.isInteger(seed)) throw new UsageError(`sample: --seed must be an integer, got ${seed}`);
  const lm = await recipe.languageModel({ checkpoint: f.checkpoint, dataDir: f['data-dir'] as string | undefined });
  const promptText = f.prompt as string;
  let prompt: Int32Array;
  try { prompt = lm.encode(promptText); } catch (e) { throw new UsageError(`sample: --prompt: ${(e as Error).message}`); }
  if (prompt.length === 0) {
    if (!lm.start) throw new UsageError(`sample: ${name} needs a --prompt`);
    prompt = lm.start;
  }
  const ids = generate(lm.model, prompt, {
    length, seed, temperature: f.temperature as number, topK: f['top-k'] as number, topP: f['top-p'] as number,
  });
  // the prompt as the model read it (a word model shows unknown words as <unk>), then the continuation, decoded
  // together so a word model's spacing is right
  const shown = promptText ? Int32Array.from([...prompt, ...ids]) : ids;
  out.write(lm.decode(shown) + '\n');
  return 0;
}
