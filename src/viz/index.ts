// Image writers: PNG, animated GIF, image grids and line plots, on a palette canvas with a 5×7 bitmap font.
export { encodePng, writePng, decodePng, readPng, crc32, type DecodedPng } from './png.ts';
export { encodeGif, writeGif, lzwEncode, type GifOptions } from './gif.ts';
export { tileGrid, writeGrid, type Image, type GridOptions } from './grid.ts';
export { Canvas, type RGB } from './canvas.ts';
export { linePlot, writePlot, niceTicks, formatTick, SERIES_COLORS, type Series, type PlotOptions } from './plot.ts';
export { heatmap, asciiLabel, type HeatmapOptions } from './heatmap.ts';
export { glyphPixel, textWidth, GLYPH_WIDTH, GLYPH_HEIGHT, GLYPH_ADVANCE } from './font.ts';
