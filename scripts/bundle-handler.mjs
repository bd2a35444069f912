// Bundles the controller handler, SDK clients included and pinned by the lock file, into
// dist/handler/index.js, so the constructs can deploy it with Code.fromAsset and consumers
// need neither esbuild nor Docker.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

await build({
  entryPoints: [path.join(root, 'lambda', 'handler.ts')],
  outfile: path.join(root, 'dist', 'handler', 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
