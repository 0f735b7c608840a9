// The one generation routine for every language model in deepten (models/lm.ts's LanguageModel): feed the prompt,
// then repeatedly draw the next token from the logits with ops/sampling.ts's sampleLogits and feed it back.
// A model with a finite context (a GPT) gets a fresh stream over the last `contextLength` tokens whenever the
// text outgrows it; a recurrent model (contextLength = Infinity) keeps one stream and its state throughout.
import { Generator } from '../random.ts';
import { Tensor } from '../tensor.ts';
import { sampleLogits, checkSamplingOptions, type SamplingOptions } from '../ops/sampling.ts';
import type { LanguageModel, TokenStream } from './lm.ts';

export interface GenerateOptions extends SamplingOptions {
  /** How many tokens to generate after the prompt. */
  length: number;
  /** Seeds a fresh Generator for the draws (ignored when `generator` is given); default 0. */
  seed?: number;
  /** Called with each new token as it is drawn (to print text as it comes). */
  onToken?: (id: number) => void;
}

/** Generates `length` tokens after `prompt` (at least one token); returns only the new tokens. The same seed gives the same tokens. */
export function generate(model: LanguageModel, prompt: Int32Array, opts: GenerateOptions): Int32Array {
  const { length } = opts;
  if (!Number.isInteger(length) || length < 0) throw new Error(`generate: length must be a non-negative integer, got ${length}`);
  if (prompt.length === 0) throw new Error('generate: the prompt must hold at least one token');
  checkSamplingOptions(opts, model.vocabSize);
  for (const id of prompt) {
    if (!(Number.isInteger(id) && id >= 0 && id < model.vocabSize)) throw new Error(`generate: prompt token ${id} is outside the vocabulary of ${model.vocabSize}`);
  }
  const generator = opts.generator ?? new Generator(opts.seed ?? 0);
  const ctx = model.contextLength;
  const history: number[] = Array.from(prompt);
  let stream: TokenStream = model.stream();
  let fed = Math.max(0, history.length - ctx); // a prompt longer than the context: only its tail
  let logits = stream.feed(Int32Array.from(history.slice(fed)));
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    if (logits.length !== model.vocabSize) throw new Error(`generate: the model returned ${logits.length} logits for a vocabulary of ${model.vocabSize}`);
    const id = sampleLogits(new Tensor(logits, [logits.length]), { ...opts, generator }).item();
    out[i] = id;
    opts.onToken?.(id);
    history.push(id);
    if (i === length - 1) break;
    if (history.length - fed > ctx) {
      // the context is full: start over on the last ctx tokens
      fed = history.length - ctx;
      stream = model.stream();
      logits = stream.feed(Int32Array.from(history.slice(fed)));
    } else logits = stream.feed(Int32Array.of(id));
  }
  return out;
}
