// Which backend runs the kernels. Chosen once at start-up: DEEPTEN_BACKEND=js|native forces a choice;
// otherwise the native addon when it loads, else the TypeScript backend (said once on stderr).
import type { Backend, BackendInfo } from './backend.ts';
import { jsBackend } from './js/index.ts';
import { loadNative } from './native.ts';

export type BackendName = 'js' | 'native';

let native: Backend | string | undefined; // a string says why it did not load; undefined: not tried yet
let current: Backend | undefined;

function tryNative(): Backend | null {
  native ??= loadNative();
  return typeof native === 'string' ? null : native;
}

function nativeLoadError(): string {
  return typeof native === 'string' ? native : '';
}

function choose(): Backend {
  const forced = process.env.DEEPTEN_BACKEND;
  if (forced === 'js') return jsBackend;
  if (forced === 'native') {
    const b = tryNative();
    if (!b) throw new Error(`DEEPTEN_BACKEND=native, but the native addon could not be loaded: ${nativeLoadError()}`);
    return b;
  }
  if (forced !== undefined && forced !== '') throw new Error(`DEEPTEN_BACKEND must be 'js' or 'native', got '${forced}'`);
  const b = tryNative();
  if (b) return b;
  process.stderr.write(`deepten: native backend unavailable (${nativeLoadError()}); using the TypeScript backend\n`);
  return jsBackend;
}

/** The backend every kernel call goes through. */
export function backend(): Backend {
  return (current ??= choose());
}

/** The name of the backend in use, for run summaries and logs. Code above ops/ reads this, never backend(). */
export function backendName(): BackendName {
  return backend().name;
}

/** The backend in use, its BLAS library and thread count (deepten info). */
export function backendInfo(): BackendInfo {
  return backend().info();
}

export function setBackend(name: BackendName): void {
  if (name === 'js') { current = jsBackend; return; }
  const b = tryNative();
  if (!b) throw new Error(`setBackend('native'): the native addon could not be loaded: ${nativeLoadError()}`);
  current = b;
}

export function availableBackends(): BackendName[] {
  return tryNative() ? ['js', 'native'] : ['js'];
}

export { jsBackend };
export type { Backend };
