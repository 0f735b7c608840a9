// A palette-indexed raster: each pixel is an index into a list of RGB colours (at most 256, as GIF needs).
// Frames meant for one GIF share a palette by passing the same array to each canvas.
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphPixel } from './font.ts';

export type RGB = readonly [number, number, number];

export class Canvas {
  readonly width: number;
  readonly height: number;
  /** Palette indices, row-major, top row first. */
  readonly pixels: Uint8Array;
  readonly palette: RGB[];

  /** palette[0] is the background; the array is used (and grown by color()) in place. */
  constructor(width: number, height: number, palette: RGB[] = [[255, 255, 255]]) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`Canvas: width and height must be positive integers, got ${width}×${height}`);
    }
    if (palette.length === 0) throw new Error('Canvas: the palette needs at least the background colour');
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height);
    this.palette = palette;
  }

  /** The palette index of an RGB colour, adding it when new. */
  color(rgb: RGB): number {
    for (let i = 0; i < this.palette.length; i++) {
      const p = this.palette[i];
      if (p[0] === rgb[0] && p[1] === rgb[1] && p[2] === rgb[2]) return i;
    }
    if (this.palette.length >= 256) throw new Error('Canvas.color: the palette is full (256 colours)');
    for (const v of rgb) if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`Canvas.color: bad RGB [${rgb.join(', ')}]`);
    this.palette.push([rgb[0], rgb[1], rgb[2]]);
    return this.palette.length - 1;
  }

  private index(c: number | RGB): number {
    return typeof c === 'number' ? c : this.color(c);
  }

  /** Sets one pixel; points off the canvas are ignored (shapes may be clipped). */
  set(x: number, y: number, c: number | RGB): void {
    x = Math.round(x); y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.pixels[y * this.width + x] = this.index(c);
  }

  get(x: number, y: number): number {
    return this.pixels[y * this.width + x];
  }

  fill(c: number | RGB): void {
    this.pixels.fill(this.index(c));
  }

  /** Fills the pixels with x0 ≤ x < x0 + w, y0 ≤ y < y0 + h. */
  fillRect(x0: number, y0: number, w: number, h: number, c: number | RGB): void {
    const ci = this.index(c);
    const xa = Math.max(0, Math.round(x0)), xb = Math.min(this.width, Math.round(x0 + w));
    const ya = Math.max(0, Math.round(y0)), yb = Math.min(this.height, Math.round(y0 + h));
    for (let y = ya; y < yb; y++) this.pixels.fill(ci, y * this.width + xa, y * this.width + Math.max(xa, xb));
  }

  /** A straight line (Bresenham), `thickness` pixels wide. */
  line(x0: number, y0: number, x1: number, y1: number, c: number | RGB, thickness = 1): void {
    const ci = this.index(c);
    let x = Math.round(x0), y = Math.round(y0);
    const xe = Math.round(x1), ye = Math.round(y1);
    const dx = Math.abs(xe - x), dy = -Math.abs(ye - y);
    const sx = x < xe ? 1 : -1, sy = y < ye ? 1 : -1;
    let err = dx + dy;
    const lo = -Math.floor((thickness - 1) / 2), hi = lo + thickness;
    for (;;) {
      if (thickness <= 1) this.set(x, y, ci);
      else for (let a = lo; a < hi; a++) for (let b = lo; b < hi; b++) this.set(x + a, y + b, ci);
      if (x === xe && y === ye) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x += sx; }
      if (e2 <= dx) { err += dx; y += sy; }
    }
  }

  /** Pixels whose centres lie within r of (cx, cy). */
  fillCircle(cx: number, cy: number, r: number, c: number | RGB): void {
    const ci = this.index(c);
    for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
      for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) this.set(x, y, ci);
      }
    }
  }

  /** A filled polygon (even–odd rule, sampled at pixel centres). */
  fillPolygon(points: readonly (readonly [number, number])[], c: number | RGB): void {
    const ci = this.index(c);
    const ys = points.map((p) => p[1]);
    const y0 = Math.max(0, Math.floor(Math.min(...ys))), y1 = Math.min(this.height - 1, Math.ceil(Math.max(...ys)));
    for (let y = y0; y <= y1; y++) {
      const yc = y + 0.5;
      const xs: number[] = [];
      for (let i = 0; i < points.length; i++) {
        const [ax, ay] = points[i], [bx, by] = points[(i + 1) % points.length];
        if ((ay <= yc && by > yc) || (by <= yc && ay > yc)) xs.push(ax + ((yc - ay) / (by - ay)) * (bx - ax));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        for (let x = Math.max(0, Math.ceil(xs[k] - 0.5)); x <= Math.min(this.width - 1, Math.floor(xs[k + 1] - 0.5)); x++) {
          this.pixels[y * this.width + x] = ci;
        }
      }
    }
  }

  /** Text in the built-in 5×7 font, top-left corner at (x, y), each font pixel drawn as scale×scale. */
  text(x: number, y: number, s: string, c: number | RGB, scale = 1): void {
    const ci = this.index(c);
    for (let k = 0; k < s.length; k++) {
      const ox = x + k * GLYPH_ADVANCE * scale;
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (glyphPixel(s[k], col, row)) this.fillRect(ox + col * scale, y + row * scale, scale, scale, ci);
        }
      }
    }
  }

  /** Interleaved 8-bit RGB. */
  toRgb(): Uint8Array {
    const out = new Uint8Array(this.width * this.height * 3);
    for (let i = 0; i < this.pixels.length; i++) {
      const p = this.palette[this.pixels[i]];
      out[3 * i] = p[0]; out[3 * i + 1] = p[1]; out[3 * i + 2] = p[2];
    }
    return out;
  }
}
