// The worker-thread side of Prefetcher (src/data/prefetch.ts). Plain JavaScript because it runs before any
// TypeScript loader exists in this thread: a loader given to the parent (node --import tsx, or tsx's register() in
// bin/deepten.mjs) does not load a worker's entry module, so a TypeScript job module gets tsx registered here,
// resolved from this file's location (deepten's own dependency), whatever the working directory.
import { parentPort, workerData } from 'node:worker_threads';

const { module, data, generation } = workerData;
if (/\.[cm]?tsx?$/.test(new URL(module).pathname)) {
  const { register } = await import('tsx/esm/api');
  register();
}
const mod = await import(module);
if (typeof mod.default !== 'function') throw new Error(`${module} has no default export (data) => (job) => batch`);
const handle = await mod.default(data);
if (typeof handle !== 'function') throw new Error(`the default export of ${module} did not return a function`);

/** The non-shared ArrayBuffers in a result (top level, or up to three levels into plain objects and arrays). */
function transferables(v, out = new Set(), level = 0) {
  if (ArrayBuffer.isView(v)) {
    // a Node Buffer may be a slice of a shared pool: copy it instead
    if (v.buffer instanceof ArrayBuffer && !Buffer.isBuffer(v)) out.add(v.buffer);
  } else if (v instanceof ArrayBuffer) out.add(v);
  else if (level < 3 && v !== null && typeof v === 'object' && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)) {
    for (const x of Array.isArray(v) ? v : Object.values(v)) transferables(x, out, level + 1);
  }
  return [...out];
}

// Messages that arrived during the imports above are queued and delivered once this listener is attached.
parentPort.on('message', async ({ id, gen, job }) => {
  // the stream that asked for this job has ended: skip it
  if (Atomics.load(generation, 0) !== gen) return;
  try {
    const result = await handle(job);
    parentPort.postMessage({ id, result }, transferables(result));
  } catch (e) {
    // the handler threw, or its result cannot be posted (a function, say)
    const err = e instanceof Error ? e : new Error(String(e));
    parentPort.postMessage({ id, error: { name: err.name, message: err.message, stack: err.stack } });
  }
});
