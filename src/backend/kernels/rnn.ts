import type { FloatArray } from '../types.ts';

/**
 * The elementwise half of one LSTM time step over B rows of H units (the GEMMs stay with matmul). Gate rows are
 * (B, 4H) in PyTorch's order [i, f, g, o]: row b holds i at b·4H + j, f at + H, g at + 2H, o at + 3H.
 */
export interface RnnKernels {
  /**
   * Forward step. `gates` holds the pre-activations z = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ on entry and is
   * overwritten with the activations, which the backward step needs:
   *   [i, f, g, o] = [σ, σ, tanh, σ](z + bias)   (bias (4H) optional: b_hh)
   *   c = f·cPrev + i·g,   h = o·tanh(c)
   * cPrev, c, h are (B, H); c and h are overwritten (neither may alias cPrev).
   */
  lstmCellForward(gates: FloatArray, bias: FloatArray | null, cPrev: FloatArray, c: FloatArray, h: FloatArray,
    B: number, H: number): void;
  /**
   * Backward step, from the forward step's activations `gates` (B, 4H), its c (= c_t) and cPrev (= c_{t−1}).
   * dh = dhOut + dhRec (dhRec optional) is ∂L/∂h_t; dc holds ∂L/∂c_t from later steps on entry and is overwritten
   * with ∂L/∂c_{t−1}. Writes dGates (B, 4H), ∂L/∂z for the pre-activations z:
   *   ∂c = dc + dh·o·(1 − tanh²c)
   *   ∂z_i = ∂c·g·i(1 − i),  ∂z_f = ∂c·cPrev·f(1 − f),  ∂z_g = ∂c·i·(1 − g²),  ∂z_o = dh·tanh(c)·o(1 − o)
   *   dc ← ∂c·f
   */
  lstmCellBackward(gates: FloatArray, c: FloatArray, cPrev: FloatArray, dhOut: FloatArray, dhRec: FloatArray | null,
    dc: FloatArray, dGates: FloatArray, B: number, H: number): void;
}
