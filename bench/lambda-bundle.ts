/**
 * `npm run bench:lambda`: the controller bundle (dist/handler/index.js) against a bundle of only
 * the AWS SDK clients it uses, built with the same esbuild options, side by side in one run:
 * size on disk, and cold import time in fresh `node` processes, alternating, medians.
 * Targets: at most 1.5x the size, cold import within 1.2x the time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, BuildOptions, Metafile } from 'esbuild';
import { lambdaBundleOptions } from '../scripts/esbuild-options.mjs';

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'bench', 'results', 'tmp', 'lambda-bundle');
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 40);
const SIZE_TARGET = 1.5;
const IMPORT_TARGET = 1.2;

/** The options scripts/bundle-handler.mjs uses, so the baseline is built the same way. */
const SAME_AS_HANDLER: BuildOptions = {
  ...lambdaBundleOptions,
  metafile: true,
  absWorkingDir: ROOT,
};

/** Every client and command the controller sends, so the baseline keeps what the handler keeps. */
const SDK_ONLY_ENTRY = `
export { CloudWatchClient, GetMetricDataCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
export {
  ElasticLoadBalancingV2Client, DescribeListenersCommand, DescribeRulesCommand, DescribeTargetHealthCommand,
  ModifyListenerCommand, ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
export { SSMClient, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds to require `file` in a fresh node process, measured inside it. */
function coldImportMs(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  return Number(
    execFileSync(process.execPath, ['--no-warnings', '-e', script], { encoding: 'utf8' }),
  );
}

function largestInputs(metafile: Metafile, count: number): string[] {
  const byPackage = new Map<string, number>();
  for (const [input, info] of Object.entries(Object.values(metafile.outputs)[0].inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const key = match ? match[1] : input;
    byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
  }
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)} KiB`);
}

/** Cold import times of each file, in rotating order so drift on a shared machine hits all alike. */
function measureColdImports(files: readonly string[]): number[][] {
  const times = files.map(() => [] as number[]);
  files.forEach((file) => coldImportMs(file));
  for (let i = 0; i < REPETITIONS; i++) {
    for (let k = 0; k < files.length; k++) {
      const index = (i + k) % files.length;
      times[index].push(coldImportMs(files[index]));
    }
  }
  return times;
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const sdkFile = path.join(OUT_DIR, 'sdk-only.js');
  const sdkEntry = path.join(OUT_DIR, 'sdk-only-entry.ts');
  const contractFile = path.join(OUT_DIR, 'sdk-and-contract.js');
  const contractEntry = path.join(OUT_DIR, 'sdk-and-contract-entry.ts');
  writeFileSync(sdkEntry, SDK_ONLY_ENTRY);
  writeFileSync(
    contractEntry,
    `${SDK_ONLY_ENTRY}export * from ${JSON.stringify(path.join(ROOT, 'lambda', 'contract'))};\n`,
  );

  // The handler as shipped (same entry and options as the package build), plus a metafile.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handler.mjs')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const shipped = path.join(ROOT, 'dist', 'handler', 'index.js');
  const handlerBuild = await build({
    ...SAME_AS_HANDLER,
    entryPoints: [path.join(ROOT, 'lambda', 'handler.ts')],
    outfile: path.join(OUT_DIR, 'handler.js'),
  });
  const nodePaths = [path.join(ROOT, 'node_modules')];
  const sdkBuild = await build({
    ...SAME_AS_HANDLER,
    entryPoints: [sdkEntry],
    outfile: sdkFile,
    nodePaths,
  });
  await build({
    ...SAME_AS_HANDLER,
    entryPoints: [contractEntry],
    outfile: contractFile,
    nodePaths,
  });

  const [handlerBytes, sdkBytes, contractBytes] = [shipped, sdkFile, contractFile].map(
    (f) => statSync(f).size,
  );
  const [handlerMs, sdkMs, contractMs] = measureColdImports([shipped, sdkFile, contractFile]).map(
    median,
  );

  const sizeRatio = handlerBytes / sdkBytes;
  const importRatio = handlerMs / sdkMs;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  const ms = (value: number) => `${value.toFixed(1)} ms`;

  console.log(
    `controller bundle vs SDK-clients-only bundle (${REPETITIONS} cold imports each, rotating, medians)`,
  );
  console.log(
    `  size         ${kib(handlerBytes).padStart(9)} vs ${kib(sdkBytes).padStart(9)}  ratio ${sizeRatio.toFixed(2)}  target <= ${SIZE_TARGET}  ${verdict(sizeRatio <= SIZE_TARGET)}`,
  );
  console.log(
    `  cold import  ${ms(handlerMs).padStart(9)} vs ${ms(sdkMs).padStart(9)}  ratio ${importRatio.toFixed(2)}  target <= ${IMPORT_TARGET}  ${verdict(importRatio <= IMPORT_TARGET)}`,
  );
  console.log(
    `  for scale, the SDK clients plus the contract's zod schemas alone: ${kib(contractBytes)}, ${ms(contractMs)} (ratio ${(contractMs / sdkMs).toFixed(2)})`,
  );
  console.log(
    `  largest parts of the controller bundle: ${largestInputs(handlerBuild.metafile!, 8).join(', ')}`,
  );
  console.log(
    `  largest parts of the SDK-only bundle:   ${largestInputs(sdkBuild.metafile!, 5).join(', ')}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
