// TensorFlow.js's packages, loaded with require rather than import. They are CommonJS bundles
// (tfjs-core's is 1.2 MB): imported from an ES module, Node 20 first scans each whole source with
// cjs-module-lexer for its named exports and parses it again to tell its format. Measured on this
// machine, tfjs-core took 0.27-0.31 s imported and 0.05-0.11 s required, tfjs-backend-wasm
// 0.17-0.22 s and 0.02-0.03 s: ~0.4 s of every `detect`, on the thread that receives the day's
// read. The module is the same either way (Node's one CommonJS cache): the backends, which
// require tfjs-core themselves, register with this instance.
import { createRequire } from 'node:module';

/** require, resolving from this package's node_modules */
export const requirePackage = createRequire(import.meta.url);

export const tf: typeof import('@tensorflow/tfjs-core') = requirePackage('@tensorflow/tfjs-core');
