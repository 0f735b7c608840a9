// `deepten translate --checkpoint RUN "ein mann fährt fahrrad ."`: translates a German sentence with a trained
// Transformer run (greedy, or beam search with --beam N). Words outside the source vocabulary are read as <unk>,
// and the output says which. --attention PNG writes the last decoder layer's cross-attention (target × source).
import { parseArgs, formatFlags, UsageError, type FlagSpec } from '../util/flags.ts';
import { setBackend } from '../backend/index.ts';
import { loadTranslator, translate } from '../train/translation.ts';
import { heatmap } from '../viz/heatmap.ts';
import { writePng } from '../viz/png.ts';

const flags: Record<string, FlagSpec> = {
  help: { type: 'boolean', help: 'show this help' },
  backend: { type: 'string', help: 'js or native (default: native when built)' },
  checkpoint: { type: 'string', help: 'transformer run directory (or its model.safetensors)' },
  beam: { type: 'number', help: 'beam width (1 = greedy)', default: 1 },
  'length-penalty': { type: 'number', help: 'beam score = log p / length^α (default: the run\'s setting)' },
  'max-len': { type: 'number', help: 'the most output tokens (default: the run\'s setting)' },
  attention: { type: 'string', help: 'write the cross-attention weights of the (greedy) translation as a PNG' },
};

const usage = `usage: deepten translate --checkpoint RUN [options] "SENTENCE"

Translates a German sentence into English with a trained Transformer (deepten train transformer).

${formatFlags(flags)}`;

export interface TranslateOutput { write(s: string): unknown }

export async function translateCommand(argv: string[], out: TranslateOutput = process.stdout): Promise<number> {
  const { positionals, flags: f } = parseArgs(argv, flags, { command: 'translate', positionals: ['sentence'] });
  if (f.help) { out.write(usage + '\n'); return 0; }
  if (f.backend !== undefined) {
    if (f.backend !== 'js' && f.backend !== 'native') throw new UsageError(`--backend must be js or native, got '${f.backend}'`);
    setBackend(f.backend);
  }
  if (typeof f.checkpoint !== 'string') throw new UsageError('translate: --checkpoint RUN is required');
  if (positionals.length === 0) throw new UsageError(`translate: give a sentence to translate\n\n${usage}`);
  const beam = f.beam as number;
  if (!Number.isInteger(beam) || beam < 1) throw new UsageError(`translate: --beam must be a positive integer, got ${beam}`);
  const t = loadTranslator(f.checkpoint);
  for (const s of positionals) {
    const r = translate(t, s, {
      beamWidth: beam, lengthPenalty: f['length-penalty'] as number | undefined, maxLen: f['max-len'] as number | undefined,
      attention: typeof f.attention === 'string',
    });
    out.write(r.tokens.join(' ') + '\n');
    if (r.unknown.length) out.write(`(unknown words, read as <unk>: ${r.unknown.join(', ')})\n`);
    if (r.attention && typeof f.attention === 'string') {
      const rows = [...r.tokens, '<eos>'].slice(0, r.attention.length);
      const c = heatmap(r.attention, rows, r.source, { title: `cross-attention, last decoder layer: ${s}` });
      writePng(f.attention, c.width, c.height, c.toRgb(), 3);
      out.write(`wrote ${f.attention}\n`);
    }
  }
  return 0;
}

