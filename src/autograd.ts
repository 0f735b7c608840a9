// Define-by-run reverse-mode differentiation. Every op that may need a gradient records a GradNode on its
// output: the op's name, its inputs, and a closure mapping the output's gradient to one gradient per input.
// backward() visits the recorded graph in reverse topological order and *adds* into each input's gradient.
import type { Tensor } from './tensor-core.ts';
import { shapeStr, sameShape } from './backend/types.ts';

export type BackwardFn = (grad: Tensor) => (Tensor | null)[];

export interface GradNode {
  op: string;
  inputs: Tensor[];
  /** null once a backward() without retainGraph has run through it: its saved tensors are gone. */
  backward: BackwardFn | null;
}

let gradEnabled = true;
let anomalyMode = false;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording a graph (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try { return fn(); } finally { gradEnabled = prev; }
}

export function setGradEnabled(on: boolean): void {
  gradEnabled = on;
}

/** Anomaly detection: every op's output and every gradient is checked for NaN/±Inf, naming the op that made it. */
export function setDetectAnomaly(on: boolean): void {
  anomalyMode = on;
}

export function isAnomalyEnabled(): boolean {
  return anomalyMode;
}

export function detectAnomaly<T>(fn: () => T): T {
  const prev = anomalyMode;
  anomalyMode = true;
  try { return fn(); } finally { anomalyMode = prev; }
}

function describe(op: string, inputs: Tensor[]): string {
  return `'${op}' (input shapes ${inputs.map((t) => shapeStr(t.shape)).join(', ') || 'none'})`;
}

function firstNonFinite(t: Tensor): number {
  const d = t.data;
  if (d instanceof Int32Array) return -1;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
}

function checkFinite(what: string, t: Tensor): void {
  const i = firstNonFinite(t);
  if (i >= 0) throw new Error(`anomaly detected: ${what} has ${t.data[i]} at flat index ${i} of shape ${shapeStr(t.shape)}`);
}

/** Attaches the graph node to `out` when some input needs a gradient; returns out. */
export function record(op: string, out: Tensor, inputs: Tensor[], backward: BackwardFn): Tensor {
  if (anomalyMode) checkFinite(`the output of ${describe(op, inputs)}`, out);
  if (!gradEnabled) return out;
  let needs = false;
  for (const t of inputs) if (t.requiresGrad) { needs = true; break; }
  if (!needs) return out;
  out.requiresGrad = true;
  out.gradFn = { op, inputs, backward };
  return out;
}

/** Inputs before outputs, for every node reachable from root (iterative: unrolled RNN graphs are deep). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.gradFn ? t.gradFn.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i];
      if (child.requiresGrad && !seen.has(child)) { seen.add(child); stack.push([child, 0]); }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/** Accumulates ∂root/∂leaf·grad into every leaf's .grad (and into .grad of tensors marked retainGrad()). */
export function runBackward(root: Tensor, grad: Tensor, retainGraph: boolean, add: (a: Tensor, b: Tensor) => Tensor): void {
  const order = topoOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, grad]]);
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      // a leaf's .grad gets its own storage: g may be shared with other gradients, and clipping scales .grad in place
      if (!t.gradFn || t.retainsGrad) t.grad = t.grad ? add(t.grad, g) : g.clone();
      const node = t.gradFn;
      if (!node) continue;
      if (!node.backward) {
        throw new Error(`backward: the graph through ${describe(node.op, node.inputs)} was already freed by an earlier ` +
          'backward(); call backward({ retainGraph: true }) the first time to go through it twice');
      }
      const inGrads = node.backward(g);
      if (!retainGraph) node.backward = null;
      for (let i = 0; i < node.inputs.length; i++) {
        const x = node.inputs[i];
        const gx = inGrads[i];
        if (!gx || !x.requiresGrad) continue;
        if (!sameShape(gx.shape, x.shape)) {
          throw new Error(`backward of ${describe(node.op, node.inputs)}: gradient for input ${i} has shape ` +
            `${shapeStr(gx.shape)}, expected ${shapeStr(x.shape)} (an engine bug)`);
        }
        if (anomalyMode) checkFinite(`the gradient that backward of ${describe(node.op, node.inputs)} gives input ${i}`, gx);
        const prev = grads.get(x);
        grads.set(x, prev ? add(prev, gx) : gx);
      }
    }
  });
}
