// Pictures of the classic-control environments: ASCII frames for terminals and logs, and a raster CartPole
// renderer (palette canvas → RGB, GIF frames or a PNG strip of frames).
import { Canvas, type RGB } from '../viz/canvas.ts';
import { encodeGif } from '../viz/gif.ts';
import type { Image } from '../viz/grid.ts';

/** A character grid; (col, row) with row 0 at the top. */
class AsciiGrid {
  private cells: string[][];
  constructor(readonly cols: number, readonly rows: number) {
    this.cells = Array.from({ length: rows }, () => Array<string>(cols).fill(' '));
  }
  put(col: number, row: number, ch: string): void {
    col = Math.round(col); row = Math.round(row);
    if (col >= 0 && col < this.cols && row >= 0 && row < this.rows) this.cells[row][col] = ch;
  }
  text(col: number, row: number, s: string): void {
    for (let i = 0; i < s.length; i++) this.put(col + i, row, s[i]);
  }
  /** Samples a segment densely enough to leave no gaps. */
  segment(c0: number, r0: number, c1: number, r1: number, ch: string): void {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(c1 - c0), Math.abs(r1 - r0)) * 2));
    for (let i = 0; i <= n; i++) this.put(c0 + ((c1 - c0) * i) / n, r0 + ((r1 - r0) * i) / n, ch);
  }
  toString(): string {
    return this.cells.map((r) => r.join('').replace(/\s+$/, '')).join('\n');
  }
}

/** The character that best draws a line leaning by `lean` radians from vertical (positive leans right). */
function slantChar(lean: number): string {
  const a = Math.atan2(Math.sin(lean), Math.cos(lean));
  if (Math.abs(a) < 0.12 || Math.abs(a) > Math.PI - 0.12) return '|';
  if (Math.abs(Math.abs(a) - Math.PI / 2) < 0.35) return '-';
  return (a > 0) === (Math.abs(a) < Math.PI / 2) ? '/' : '\\';
}

/**
 * CartPole as text: the track spans x ∈ [−2.4, 2.4]; the pole (length 1) leans right for θ > 0. Characters are
 * about twice as tall as wide, so vertical distances use half the horizontal scale.
 */
export function asciiCartPole(state: readonly number[], cols = 61, rows = 12): string {
  const [x, , theta] = state;
  const g = new AsciiGrid(cols, rows);
  const sx = (cols - 1) / 4.8, sy = sx / 2;
  const cx = (x + 2.4) * sx;
  const track = rows - 2, cartRow = track - 1;
  for (let c = 0; c < cols; c++) g.put(c, track, '=');
  g.put(0, track, '|'); g.put(cols - 1, track, '|');
  g.text(cx - 2, cartRow, '[###]');
  g.segment(cx, cartRow - 1, cx + Math.sin(theta) * sx, cartRow - 1 - Math.cos(theta) * sy, slantChar(theta));
  g.put(cx, cartRow - 1, 'o');
  g.text(0, rows - 1, `x=${x.toFixed(3)}  theta=${((theta * 180) / Math.PI).toFixed(2)} deg`);
  return g.toString();
}

/** Acrobot as text: the pivot in the middle, both links (length 1) hanging down at θ = 0; '~' marks the goal height. */
export function asciiAcrobot(state: readonly number[], size = 23): string {
  const [t1, t2] = state;
  const g = new AsciiGrid(size * 2 - 1, size);
  const s = (size - 1) / 4.4; // the picture spans ±2.2 link lengths vertically
  const col = (u: number) => (size - 1) + u * s * 2, row = (v: number) => (size - 1) / 2 - v * s;
  for (let c = 0; c < size * 2 - 1; c++) g.put(c, row(1), '~');
  const p1 = [Math.sin(t1), -Math.cos(t1)];
  const p2 = [p1[0] + Math.sin(t1 + t2), p1[1] - Math.cos(t1 + t2)];
  g.segment(col(0), row(0), col(p1[0]), row(p1[1]), '#');
  g.segment(col(p1[0]), row(p1[1]), col(p2[0]), row(p2[1]), '*');
  g.put(col(0), row(0), 'O');
  g.put(col(p1[0]), row(p1[1]), 'o');
  return g.toString();
}

/** MountainCar as text: the hill y = sin(3x) over x ∈ [−1.2, 0.6], the car 'C' and the flag 'F' at x = 0.5. */
export function asciiMountainCar(state: readonly number[], cols = 61, rows = 12): string {
  const [pos, vel] = state;
  const g = new AsciiGrid(cols, rows);
  const col = (x: number) => ((x + 1.2) / 1.8) * (cols - 1);
  const row = (y: number) => (rows - 2) - ((y + 1) / 2) * (rows - 3);
  for (let c = 0; c < cols; c++) g.put(c, row(Math.sin(3 * (-1.2 + (1.8 * c) / (cols - 1)))), '.');
  g.put(col(0.5), row(Math.sin(1.5)) - 1, 'F');
  g.put(col(pos), row(Math.sin(3 * pos)) - 1, 'C');
  g.text(0, rows - 1, `position=${pos.toFixed(3)}  velocity=${vel.toFixed(4)}`);
  return g.toString();
}

export const CARTPOLE_COLORS = {
  background: [255, 255, 255] as RGB,
  cart: [0, 0, 0] as RGB,
  pole: [202, 152, 101] as RGB,
  axle: [129, 132, 203] as RGB,
  track: [0, 0, 0] as RGB,
};

/** A palette holding every colour the CartPole renderer uses, so frames drawn with it share one GIF palette. */
export function cartPolePalette(): RGB[] {
  const c = CARTPOLE_COLORS;
  return [c.background, c.cart, c.pole, c.axle];
}

/**
 * Draws CartPole like Gymnasium's renderer, scaled to the canvas: the world is 4.8 units wide, the cart 1/12
 * of the width, the pole 2 half-lengths long, rotated by θ (leaning right for θ > 0).
 */
export function renderCartPole(state: readonly number[], width = 300, height = 200, palette: RGB[] = cartPolePalette()): Canvas {
  const [x, , theta] = state;
  const c = new Canvas(width, height, palette);
  const C = CARTPOLE_COLORS;
  const scale = width / 4.8;
  const cartW = width / 12, cartH = cartW * 0.6, poleW = Math.max(2, width / 60), poleLen = scale * 1.0;
  const cx = x * scale + width / 2;
  const trackY = Math.round(height * 0.75);
  c.line(0, trackY, width - 1, trackY, C.track);
  c.fillRect(cx - cartW / 2, trackY - cartH, cartW, cartH, C.cart);
  const ax = cx, ay = trackY - cartH * 0.75;
  // pole rectangle rotated about the axle; screen y points down
  const sin = Math.sin(theta), cos = Math.cos(theta);
  const pt = (u: number, v: number): [number, number] => [ax + u * cos + v * sin, ay + u * sin - v * cos];
  c.fillPolygon([pt(-poleW / 2, -poleW / 2), pt(-poleW / 2, poleLen - poleW / 2), pt(poleW / 2, poleLen - poleW / 2), pt(poleW / 2, -poleW / 2)], C.pole);
  c.fillCircle(ax, ay, poleW / 2, C.axle);
  return c;
}

/** An animated GIF of a CartPole trajectory (one state per frame). */
export function cartPoleGif(states: readonly (readonly number[])[], opts: { width?: number; height?: number; delayCs?: number } = {}): Uint8Array {
  const w = opts.width ?? 300, h = opts.height ?? 200;
  const palette = cartPolePalette();
  const frames = states.map((s) => renderCartPole(s, w, h, palette).pixels);
  return encodeGif(frames, w, h, palette, opts.delayCs ?? 4);
}

/** Frames side by side in one RGB image (e.g. every k-th state of an episode), separated by gray bars. */
export function cartPoleStrip(states: readonly (readonly number[])[], opts: { width?: number; height?: number } = {}): Image {
  if (states.length === 0) throw new Error('cartPoleStrip: no states');
  const w = opts.width ?? 150, h = opts.height ?? 100, gap = 2;
  const width = states.length * (w + gap) - gap;
  const pixels = new Uint8Array(width * h * 3).fill(160);
  states.forEach((s, k) => {
    const rgb = renderCartPole(s, w, h).toRgb();
    for (let y = 0; y < h; y++) pixels.set(rgb.subarray(y * w * 3, (y + 1) * w * 3), (y * width + k * (w + gap)) * 3);
  });
  return { width, height: h, channels: 3, pixels };
}
