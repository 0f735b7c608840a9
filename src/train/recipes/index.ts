// Every trainable model's recipe, by name.
import type { Recipe } from '../recipe.ts';
import { mlp, lenet, resnet } from './classifiers.ts';
import { gcn, gae } from './graph.ts';
import { dqn } from './dqn.ts';
import { lstm } from './lstm.ts';

export const recipes: Record<string, Recipe> = { mlp, lenet, resnet, lstm, gcn, gae, dqn };
