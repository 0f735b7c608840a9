// A small line-plot rasterizer so experiments can save loss/return curves as PNG without any dependency:
// axes with "nice" ticks, optional log-scaled y, several coloured series, a legend of coloured boxes, and text in
// the built-in 5×7 font.
import { Canvas, type RGB } from './canvas.ts';
import { GLYPH_HEIGHT, textWidth } from './font.ts';
import { writePng } from './png.ts';

export interface Series {
  name: string;
  y: ArrayLike<number>;
  /** Defaults to 0, 1, 2, … */
  x?: ArrayLike<number>;
  color?: RGB;
}

export interface PlotOptions {
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (values ≤ 0 are skipped). */
  logY?: boolean;
  /** Fixed y limits instead of the data's. */
  yRange?: [number, number];
}

/** The tab10 colours, in order. */
export const SERIES_COLORS: RGB[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

const BLACK: RGB = [0, 0, 0];
const GRID: RGB = [225, 225, 225];

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

/** A short label: plain for moderate magnitudes, otherwise like 1e-3 or 2.5e+4. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('.0e', 'e');
  return String(+v.toPrecision(4));
}

/** Renders the series onto a new canvas. */
export function linePlot(series: Series[], opts: PlotOptions = {}): Canvas {
  const width = opts.width ?? 640, height = opts.height ?? 400;
  const canvas = new Canvas(width, height, [[255, 255, 255]]);
  const logY = opts.logY ?? false;
  const fy = (v: number) => (logY ? Math.log10(v) : v);
  // data limits over finite (and, for log y, positive) points
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.y.length; i++) {
      const x = s.x ? s.x[i] : i, y = s.y[i];
      if (!Number.isFinite(x) || !Number.isFinite(y) || (logY && y <= 0)) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, fy(y)); y1 = Math.max(y1, fy(y));
    }
  }
  if (opts.yRange) {
    if (logY && !(opts.yRange[0] > 0)) throw new Error(`linePlot: a log y axis needs a positive yRange, got [${opts.yRange.join(', ')}]`);
    [y0, y1] = [fy(opts.yRange[0]), fy(opts.yRange[1])];
  }
  if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; }
  if (!Number.isFinite(y0)) { y0 = 0; y1 = 1; }
  if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const yTicks = logY ? logTicks(y0, y1) : niceTicks(y0, y1);
  const yLabels = yTicks.map((t) => formatTick(logY ? 10 ** t : t));
  const left = 12 + Math.max(...yLabels.map((l) => textWidth(l))) + (opts.yLabel ? 12 : 0);
  const top = opts.title ? 22 : 10, right = 12, bottom = 26 + (opts.xLabel ? 12 : 0);
  const pw = width - left - right, ph = height - top - bottom;
  if (pw < 10 || ph < 10) throw new Error(`linePlot: ${width}×${height} is too small for the axes`);
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * pw;
  const py = (y: number) => top + ph - ((y - y0) / (y1 - y0)) * ph;

  // grid, ticks and tick labels
  yTicks.forEach((t, i) => {
    if (t < y0 || t > y1) return;
    const y = Math.round(py(t));
    canvas.line(left, y, left + pw, y, GRID);
    canvas.line(left - 4, y, left, y, BLACK);
    canvas.text(left - 6 - textWidth(yLabels[i]), y - 3, yLabels[i], BLACK);
  });
  for (const t of niceTicks(x0, x1, Math.max(2, Math.floor(pw / 80)))) {
    if (t < x0 || t > x1) continue;
    const x = Math.round(px(t));
    canvas.line(x, top, x, top + ph, GRID);
    canvas.line(x, top + ph, x, top + ph + 4, BLACK);
    const label = formatTick(t);
    canvas.text(x - Math.floor(textWidth(label) / 2), top + ph + 7, label, BLACK);
  }
  canvas.line(left, top, left, top + ph, BLACK);
  canvas.line(left, top + ph, left + pw, top + ph, BLACK);
  if (opts.title) canvas.text(Math.round(left + pw / 2 - textWidth(opts.title) / 2), 6, opts.title, BLACK);
  if (opts.xLabel) canvas.text(Math.round(left + pw / 2 - textWidth(opts.xLabel) / 2), height - GLYPH_HEIGHT - 3, opts.xLabel, BLACK);
  if (opts.yLabel) verticalText(canvas, 3, Math.round(top + ph / 2 + textWidth(opts.yLabel) / 2), opts.yLabel, BLACK);

  // the series, clipped to the plot area; a non-finite or non-positive (log) point breaks the line
  series.forEach((s, k) => {
    const color = s.color ?? SERIES_COLORS[k % SERIES_COLORS.length];
    let prev: [number, number] | null = null;
    for (let i = 0; i < s.y.length; i++) {
      const x = s.x ? s.x[i] : i, y = s.y[i];
      if (!Number.isFinite(x) || !Number.isFinite(y) || (logY && y <= 0)) { prev = null; continue; }
      const p: [number, number] = [px(x), py(fy(y))];
      if (prev) clippedLine(canvas, prev, p, [left, top, left + pw, top + ph], color);
      else if (p[1] >= top && p[1] <= top + ph) canvas.set(p[0], p[1], color);
      prev = p;
    }
  });

  // legend: a coloured box and the name per series, top-right inside the plot
  const named = series.map((s, k) => ({ name: s.name, color: s.color ?? SERIES_COLORS[k % SERIES_COLORS.length] })).filter((s) => s.name);
  if (named.length) {
    const lw = Math.max(...named.map((s) => textWidth(s.name))) + 20;
    const lx = left + pw - lw - 4;
    named.forEach((s, i) => {
      const ly = top + 4 + i * 11;
      canvas.fillRect(lx - 2, ly - 2, lw + 4, 11, [255, 255, 255]);
      canvas.fillRect(lx, ly, 8, 7, s.color);
      canvas.text(lx + 12, ly, s.name, BLACK);
    });
  }
  return canvas;
}

/** Tick positions (in log10 units) for a log axis: whole powers of ten, or nice ticks when the range is narrow. */
function logTicks(lo: number, hi: number): number[] {
  const a = Math.ceil(lo - 1e-9), b = Math.floor(hi + 1e-9);
  if (b - a >= 1) {
    const every = Math.max(1, Math.ceil((b - a + 1) / 8));
    const t: number[] = [];
    for (let e = a; e <= b; e += every) t.push(e);
    return t;
  }
  return niceTicks(10 ** lo, 10 ** hi, 4).filter((v) => v > 0).map(Math.log10);
}

/** Text rotated a quarter turn counter-clockwise, reading bottom to top from (x, y). */
function verticalText(canvas: Canvas, x: number, y: number, s: string, color: RGB): void {
  const tmp = new Canvas(Math.max(1, textWidth(s)), GLYPH_HEIGHT, [[0, 0, 0], [1, 1, 1]]);
  tmp.text(0, 0, s, 1);
  for (let ty = 0; ty < tmp.height; ty++) for (let tx = 0; tx < tmp.width; tx++) if (tmp.get(tx, ty) === 1) canvas.set(x + ty, y - tx, color);
}

/** Liang–Barsky clipping of the segment to the rectangle, then drawn. */
function clippedLine(canvas: Canvas, a: [number, number], b: [number, number], [xmin, ymin, xmax, ymax]: number[], color: RGB): void {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  let t0 = 0, t1 = 1;
  const edges: [number, number][] = [[-dx, a[0] - xmin], [dx, xmax - a[0]], [-dy, a[1] - ymin], [dy, ymax - a[1]]];
  for (const [p, q] of edges) {
    if (p === 0) { if (q < 0) return; continue; }
    const t = q / p;
    if (p < 0) { if (t > t1) return; if (t > t0) t0 = t; } else { if (t < t0) return; if (t < t1) t1 = t; }
  }
  canvas.line(a[0] + t0 * dx, a[1] + t0 * dy, a[0] + t1 * dx, a[1] + t1 * dy, color);
}

/** Renders the plot and writes it as an RGB PNG. */
export function writePlot(path: string, series: Series[], opts: PlotOptions = {}): void {
  const c = linePlot(series, opts);
  writePng(path, c.width, c.height, c.toRgb(), 3);
}
