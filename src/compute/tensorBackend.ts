// Picks TensorFlow.js's backend at run time: tfjs-node when it is installed (its install script
// downloads libtensorflow, so it is optional), else WebAssembly, else plain JavaScript.
import { dirname, join } from 'node:path';
import { requirePackage, tf } from './tfjs.js';

export type TensorBackendName = 'tensorflow' | 'wasm' | 'cpu';

let chosen: Promise<TensorBackendName> | undefined;

const ORDER: readonly TensorBackendName[] = ['tensorflow', 'wasm', 'cpu'];

/**
 * Initialises a backend once per process and returns its name: the preferred one first (the
 * application passes RIDESCAN_TENSOR_BACKEND), then the rest in order of speed. The name is
 * recorded with each run, so a fallback is visible.
 */
export function initTensorBackend(preferred?: TensorBackendName): Promise<TensorBackendName> {
  chosen ??= choose(preferred);
  return chosen;
}

async function choose(preferred: TensorBackendName | undefined): Promise<TensorBackendName> {
  const order = preferred ? [preferred, ...ORDER.filter((n) => n !== preferred)] : [...ORDER];
  for (const name of order) {
    try {
      await register(name);
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // not installed or failed to start: try the next one
    }
  }
  throw new Error(`no TensorFlow.js backend could start (tried ${order.join(', ')})`);
}

async function register(name: TensorBackendName): Promise<void> {
  if (name === 'tensorflow') {
    // required, not imported, as tfjs.ts says why; the optional package is not known to TypeScript
    requirePackage('@tensorflow/tfjs-node');
  } else if (name === 'wasm') {
    const wasm: typeof import('@tensorflow/tfjs-backend-wasm') = requirePackage('@tensorflow/tfjs-backend-wasm');
    const dist = dirname(requirePackage.resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(join(dist, '/').replace(/\\/g, '/'));
  } else {
    requirePackage('@tensorflow/tfjs-backend-cpu');
  }
}
