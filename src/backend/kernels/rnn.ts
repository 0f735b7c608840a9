import type { FloatArray } from '../types.ts';

/**
 * The elementwise half of one recurrent time step over B rows of H units, for the LSTM, the GRU and the plain
 * (Elman) RNN; the GEMMs stay with matmul. Gate rows are PyTorch's: (B, 4H) in the order [i, f, g, o] for the
 * LSTM (row b holds i at b·4H + j, f at + H, g at + 2H, o at + 3H), (B, 3H) in the order [r, z, n] for the GRU.
 */
export interface RnnKernels {
  /**
   * LSTM forward step. `gates` holds the pre-activations z = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ on entry and is
   * overwritten with the activations, which the backward step needs:
   *   [i, f, g, o] = [σ, σ, tanh, σ](z + bias)   (bias (4H) optional: b_hh)
   *   c = f·cPrev + i·g,   h = o·tanh(c)
   * cPrev, c, h are (B, H); c and h are overwritten (neither may alias cPrev).
   */
  lstmCellForward(gates: FloatArray, bias: FloatArray | null, cPrev: FloatArray, c: FloatArray, h: FloatArray,
    B: number, H: number): void;
  /**
   * LSTM backward step, from the forward step's activations `gates` (B, 4H), its c (= c_t) and cPrev (= c_{t−1}).
   * dh = dhOut + dhRec (dhRec optional) is ∂L/∂h_t; dc holds ∂L/∂c_t from later steps on entry and is overwritten
   * with ∂L/∂c_{t−1}. Writes dGates (B, 4H), ∂L/∂z for the pre-activations z:
   *   ∂c = dc + dh·o·(1 − tanh²c)
   *   ∂z_i = ∂c·g·i(1 − i),  ∂z_f = ∂c·cPrev·f(1 − f),  ∂z_g = ∂c·i·(1 − g²),  ∂z_o = dh·tanh(c)·o(1 − o)
   *   dc ← ∂c·f
   */
  lstmCellBackward(gates: FloatArray, c: FloatArray, cPrev: FloatArray, dhOut: FloatArray, dhRec: FloatArray | null,
    dc: FloatArray, dGates: FloatArray, B: number, H: number): void;

  /**
   * Plain RNN forward step, in place: h holds z = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ (B, H) on entry and
   *   h ← act(z + bias)   (act = tanh, or relu when `relu`; bias (H) optional: b_hh)
   */
  rnnCellForward(h: FloatArray, bias: FloatArray | null, B: number, H: number, relu: boolean): void;
  /**
   * Plain RNN backward step from the step's output h (B, H): with dh = dhOut + dhRec (dhRec optional),
   *   dz = dh·(1 − h²) for tanh,  dz = dh·[h > 0] for relu.
   */
  rnnCellBackward(h: FloatArray, dhOut: FloatArray, dhRec: FloatArray | null, dz: FloatArray, B: number, H: number, relu: boolean): void;

  /**
   * GRU forward step. gx (B, 3H) holds x_t·W_ihᵀ + b_ih and gh (B, 3H) holds h_{t−1}·W_hhᵀ, both in gate order
   * [r, z, n]; bias (3H, optional) is b_hh:
   *   r = σ(gx_r + gh_r + b_r),  z = σ(gx_z + gh_z + b_z),  m = gh_n + b_n,  n = tanh(gx_n + r·m)
   *   h = (1 − z)·n + z·hPrev
   * gx is overwritten with the activations [r, z, n] and gh's n block with m, which the backward step needs.
   * hPrev, h are (B, H); h may not alias hPrev.
   */
  gruCellForward(gx: FloatArray, gh: FloatArray, bias: FloatArray | null, hPrev: FloatArray, h: FloatArray, B: number, H: number): void;
  /**
   * GRU backward step from the forward step's activations `gates` = [r, z, n] (B, 3H), gh (B, 3H, whose n block
   * is m) and hPrev. With dh = dhOut + dhRec (dhRec optional) = ∂L/∂h_t:
   *   ∂n = dh·(1 − z)·(1 − n²),  ∂z = dh·(hPrev − n)·z(1 − z),  ∂r = ∂n·m·r(1 − r)
   *   dGx = [∂r, ∂z, ∂n]   (∂L/∂gx),   dGh = [∂r, ∂z, ∂n·r]   (∂L/∂gh, also ∂L/∂b_hh)
   *   dhPrev = dh·z   (the direct path; the caller adds dGh·W_hh)
   * dhPrev may alias dhRec (each element is read before it is written).
   */
  gruCellBackward(gates: FloatArray, gh: FloatArray, hPrev: FloatArray, dhOut: FloatArray, dhRec: FloatArray | null,
    dGx: FloatArray, dGh: FloatArray, dhPrev: FloatArray, B: number, H: number): void;
}
