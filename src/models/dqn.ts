// The Deep Q-Network's network (Mnih et al. 2015): an MLP from an observation to one value per action,
//   Q(s, ·; θ) = W_L · relu(… relu(W_1 s + b_1) …) + b_L
// The agent that acts with it and the training loop live in rl/dqn.ts.
import type { Tensor } from '../tensor.ts';
import type { Generator } from '../random.ts';
import { Module, ModuleList, Linear } from '../nn/index.ts';

/** An MLP from observations to one Q-value per action: Linear → ReLU → … → Linear. */
export class QNetwork extends Module {
  layers: ModuleList<Linear>;

  constructor(obsSize: number, actionCount: number, hidden: number[], generator?: Generator) {
    super();
    const sizes = [obsSize, ...hidden, actionCount];
    this.layers = new ModuleList(sizes.slice(1).map((n, i) => new Linear(sizes[i], n, { generator })));
  }

  /** (batch, obsSize) → (batch, actionCount). */
  forward(x: Tensor): Tensor {
    const n = this.layers.length;
    let h = x;
    for (let i = 0; i < n; i++) {
      h = this.layers[i].forward(h);
      if (i < n - 1) h = h.relu();
    }
    return h;
  }
}

