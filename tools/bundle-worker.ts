/**
 * Bundles a worker thread's TypeScript entry into one CommonJS file that `new Worker()` can load
 * under plain Node, since worker threads do not inherit tsx's loader.
 */
import { build } from 'esbuild';

export async function bundleWorkerScript(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  return outfile;
}
