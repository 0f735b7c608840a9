// Every trainable model's recipe, by name.
import type { Recipe } from '../recipe.ts';

export const recipes: Record<string, Recipe> = {};
