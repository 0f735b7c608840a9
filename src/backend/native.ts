// Loads the native (OpenBLAS) addon when it has been built.
import type { Backend } from './backend.ts';

/** The native backend, or a one-line reason it is unavailable. */
export function loadNative(): Backend | string {
  return 'the addon is not built';
}
