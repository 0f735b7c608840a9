// A labelled heatmap (attention weights: rows = target tokens, columns = source tokens). Cells shade from white
// (0) to dark blue (the largest value); row labels on the left, column labels written downwards above the grid,
// in the built-in 5×7 font (non-ASCII letters transliterated: ä → ae, ß → ss, …).
import { Canvas, type RGB } from './canvas.ts';
import { GLYPH_ADVANCE, GLYPH_HEIGHT } from './font.ts';

const LEVELS = 64;
const TEXT: RGB = [0, 0, 0];

/** ASCII for the font: German and other Latin letters lose their marks, anything else becomes '?'. */
export function asciiLabel(s: string): string {
  const map: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue', ß: 'ss' };
  return [...s].map((c) => map[c] ?? (c.charCodeAt(0) < 128 ? c : c.normalize('NFD')[0].charCodeAt(0) < 128 ? c.normalize('NFD')[0] : '?')).join('');
}

export interface HeatmapOptions {
  /** Pixels per cell side (default 24). */
  cell?: number;
  title?: string;
}

export function heatmap(values: readonly (readonly number[])[], rowLabels: readonly string[], colLabels: readonly string[], opts: HeatmapOptions = {}): Canvas {
  const R = values.length, C = R ? values[0].length : 0;
  if (R === 0 || C === 0) throw new Error('heatmap: no values');
  if (values.some((r) => r.length !== C)) throw new Error('heatmap: rows of different lengths');
  if (rowLabels.length !== R || colLabels.length !== C) throw new Error(`heatmap: ${R}×${C} values but ${rowLabels.length} row and ${colLabels.length} column labels`);
  const cell = opts.cell ?? 24, pad = 8;
  const rows = rowLabels.map(asciiLabel), cols = colLabels.map(asciiLabel);
  const left = pad + Math.max(...rows.map((s) => s.length)) * GLYPH_ADVANCE + pad;
  const titleH = opts.title ? GLYPH_HEIGHT + 2 * pad : pad;
  const top = titleH + Math.max(...cols.map((s) => s.length)) * (GLYPH_HEIGHT + 1) + pad;
  const titleW = opts.title ? 2 * pad + asciiLabel(opts.title).length * GLYPH_ADVANCE : 0;
  const canvas = new Canvas(Math.max(left + C * cell + pad, titleW), top + R * cell + pad);
  const shades = Array.from({ length: LEVELS }, (_, k) => {
    const t = k / (LEVELS - 1); // white → rgb(8, 48, 107)
    return canvas.color([Math.round(255 - t * 247), Math.round(255 - t * 207), Math.round(255 - t * 148)]);
  });
  let max = 0;
  for (const r of values) for (const v of r) if (Number.isFinite(v)) max = Math.max(max, v);
  if (opts.title) canvas.text(pad, pad, asciiLabel(opts.title), TEXT);
  values.forEach((r, i) => {
    canvas.text(left - pad - rows[i].length * GLYPH_ADVANCE, top + i * cell + (cell - GLYPH_HEIGHT) / 2 | 0, rows[i], TEXT);
    r.forEach((v, j) => {
      const k = max > 0 && Number.isFinite(v) ? Math.round((Math.max(0, v) / max) * (LEVELS - 1)) : 0;
      canvas.fillRect(left + j * cell, top + i * cell, cell - 1, cell - 1, shades[k]);
    });
  });
  cols.forEach((s, j) => {
    // one character per line, downwards, ending just above the column
    const x = left + j * cell + ((cell - GLYPH_ADVANCE) >> 1);
    [...s].forEach((ch, k) => canvas.text(x, top - pad - (s.length - k) * (GLYPH_HEIGHT + 1), ch, TEXT));
  });
  return canvas;
}
