// Bundles the controller handler, SDK clients included and pinned by the lock file, into
// dist/handler/index.js, so the constructs can deploy it with Code.fromAsset and consumers
// need neither esbuild nor Docker.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { lambdaBundleOptions } from './esbuild-options.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

await build({
  ...lambdaBundleOptions,
  entryPoints: [path.join(root, 'lambda', 'handler.ts')],
  outfile: path.join(root, 'dist', 'handler', 'index.js'),
  absWorkingDir: root,
});
