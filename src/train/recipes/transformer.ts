// The Transformer translator's recipe (Multi30k de→en); its defaults are bentrevett's, behind the README's numbers.
import type { Recipe } from '../recipe.ts';
import { trainTranslation, evaluateTranslation } from '../translation.ts';

export const transformer: Recipe = {
  name: 'transformer',
  title: 'Transformer encoder-decoder',
  task: 'Multi30k de→en translation',
  reference: 'BLEU 36.5 (3+3 layers, d 256)',
  train: trainTranslation,
  evaluate: evaluateTranslation,
};
