// What every autoregressive language model in deepten (the LSTM LM, the character GPT) offers to the one
// sampling routine and to `deepten sample`: a stream that takes tokens and returns the next token's logits,
// keeping whatever state makes the next call cheap (the LSTM's (h, c); the GPT's key/value cache).

/** An incremental decoder over token ids. */
export interface TokenStream {
  /**
   * Feeds `tokens` (one or more ids, in order) after everything fed so far and returns the logits over the
   * vocabulary for the token that follows them: a Float32Array of length `vocabSize`.
   */
  feed(tokens: Int32Array): Float32Array;
}

export interface LanguageModel {
  readonly vocabSize: number;
  /** The longest context the model can attend to (Infinity for recurrent models). */
  readonly contextLength: number;
  /** A fresh stream (empty context), evaluated without gradients and in eval mode. */
  stream(): TokenStream;
}

/** A trained language model with its tokenizer, as a recipe loads it from a checkpoint or run directory. */
export interface LoadedLanguageModel {
  model: LanguageModel;
  /** Text → ids; throws an error naming the first symbol (or word) outside the vocabulary, unless the vocabulary maps unknowns. */
  encode(text: string): Int32Array;
  decode(ids: Int32Array): string;
  /** Tokens to begin with when the prompt is empty (e.g. a sentence boundary or a line break); default: an error. */
  start?: Int32Array;
}
