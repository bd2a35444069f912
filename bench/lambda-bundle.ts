/**
 * `npm run bench:lambda`: the controller bundle (dist/handler/index.js) against a bundle of only
 * the AWS SDK clients it uses, built with the same esbuild options, side by side in one run:
 * size on disk, and cold import time in fresh `node` processes, alternating, medians.
 * Targets: at most 1.5x the size, cold import within 1.2x the time.
 *
 * On a shared machine the load drifts by the second, so each child times only the `require`
 * (wall clock and its own CPU time), every round imports each bundle once in rotating order,
 * and the verdict is the median of the per-round ratios: drift that hits one round hits both
 * bundles of the ratio alike. The spread (p25-p75) shows how far to trust it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
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

/** Linear-interpolated quantile, q from 0 to 1. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.ceil(at)] - sorted[low]) * (at - low);
}
const median = (values: readonly number[]) => quantile(values, 0.5);

interface ImportTime {
  /** Wall-clock milliseconds of the require alone, not of node's own start. */
  readonly wallMs: number;
  /** CPU milliseconds (user + system) the process spent in the require: barely moved by load. */
  readonly cpuMs: number;
}

/** Times the require of `file` in a fresh node process, measured inside it. */
function coldImport(file: string): ImportTime {
  const script = [
    'const c=process.cpuUsage(),t=process.hrtime.bigint();',
    `require(${JSON.stringify(file)});`,
    'const w=Number(process.hrtime.bigint()-t)/1e6,u=process.cpuUsage(c);',
    'process.stdout.write(JSON.stringify({wallMs:w,cpuMs:(u.user+u.system)/1e3}))',
  ].join('');
  const output = execFileSync(process.execPath, ['--no-warnings', '-e', script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(output) as ImportTime;
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

/** One round per repetition: each file imported once, in rotating order, after a warm-up round. */
function measureColdImports(files: readonly string[]): ImportTime[][] {
  files.forEach((file) => coldImport(file));
  const rounds: ImportTime[][] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const round: ImportTime[] = [];
    for (let k = 0; k < files.length; k++) {
      const index = (i + k) % files.length;
      round[index] = coldImport(files[index]);
    }
    rounds.push(round);
  }
  return rounds;
}

interface Comparison {
  /** Median of the file's own times. */
  readonly medianMs: number;
  readonly p25Ms: number;
  readonly p75Ms: number;
  /** Median, p25 and p75 of (this file / the baseline) within each round. */
  readonly ratio: number;
  readonly ratioP25: number;
  readonly ratioP75: number;
}

function compare(
  rounds: readonly ImportTime[][],
  index: number,
  baseline: number,
  key: keyof ImportTime,
): Comparison {
  const own = rounds.map((r) => r[index][key]);
  const ratios = rounds.map((r) => r[index][key] / r[baseline][key]);
  return {
    medianMs: median(own),
    p25Ms: quantile(own, 0.25),
    p75Ms: quantile(own, 0.75),
    ratio: median(ratios),
    ratioP25: quantile(ratios, 0.25),
    ratioP75: quantile(ratios, 0.75),
  };
}

/** The parts priced on their own beside the SDK clients, to locate where a gap comes from. */
const FOR_SCALE: readonly { readonly name: string; readonly source: string }[] = [
  {
    name: "the contract's zod schemas",
    source: `export * from ${JSON.stringify(path.join(ROOT, 'lambda', 'contract'))};\n`,
  },
  {
    name: 'Powertools logger and metrics',
    source: `import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
export const logger = new Logger({ serviceName: 'bench' });
export const metrics = new Metrics({ namespace: 'bench', serviceName: 'bench' });
`,
  },
];

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const nodePaths = [path.join(ROOT, 'node_modules')];
  const bundle = async (name: string, source: string) => {
    const entry = path.join(OUT_DIR, `${name}-entry.ts`);
    const outfile = path.join(OUT_DIR, `${name}.js`);
    writeFileSync(entry, source);
    const result = await build({ ...SAME_AS_HANDLER, entryPoints: [entry], outfile, nodePaths });
    return { file: outfile, metafile: result.metafile! };
  };

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
  const sdk = await bundle('sdk-only', SDK_ONLY_ENTRY);
  const parts = await Promise.all(
    FOR_SCALE.map((part, n) => bundle(`sdk-and-part-${n}`, SDK_ONLY_ENTRY + part.source)),
  );

  const files = [shipped, sdk.file, ...parts.map((p) => p.file)];
  const bytes = files.map((f) => statSync(f).size);
  const load = loadavg()[0];
  const rounds = measureColdImports(files);
  const wall = compare(rounds, 0, 1, 'wallMs');
  const cpu = compare(rounds, 0, 1, 'cpuMs');
  const sdkWall = compare(rounds, 1, 1, 'wallMs');
  const sdkCpu = compare(rounds, 1, 1, 'cpuMs');

  const sizeRatio = bytes[0] / bytes[1];
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  const ms = (c: Comparison) =>
    `${c.medianMs.toFixed(1)} ms (${c.p25Ms.toFixed(0)}-${c.p75Ms.toFixed(0)})`;
  const ratio = (c: Comparison) =>
    `${c.ratio.toFixed(2)} (${c.ratioP25.toFixed(2)}-${c.ratioP75.toFixed(2)})`;

  console.log(
    `controller bundle vs SDK-clients-only bundle: ${REPETITIONS} rounds, each imports every bundle once in a fresh node, rotating order; load average ${load.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end`,
  );
  console.log(`  medians with (p25-p75); ratios are the median of the per-round ratios`);
  console.log(
    `  size              ${kib(bytes[0]).padStart(18)} vs ${kib(bytes[1]).padStart(18)}  ratio ${sizeRatio.toFixed(2)}              target <= ${SIZE_TARGET}  ${verdict(sizeRatio <= SIZE_TARGET)}`,
  );
  console.log(
    `  cold import, wall ${ms(wall).padStart(18)} vs ${ms(sdkWall).padStart(18)}  ratio ${ratio(wall)}  target <= ${IMPORT_TARGET}  ${verdict(wall.ratio <= IMPORT_TARGET)}`,
  );
  console.log(
    `  cold import, CPU  ${ms(cpu).padStart(18)} vs ${ms(sdkCpu).padStart(18)}  ratio ${ratio(cpu)}  target <= ${IMPORT_TARGET}  ${verdict(cpu.ratio <= IMPORT_TARGET)}`,
  );
  console.log('  for scale, the SDK clients plus one part alone (size ratio; wall, CPU ratios):');
  FOR_SCALE.forEach((part, n) => {
    const index = n + 2;
    console.log(
      `    ${part.name.padEnd(30)} ${kib(bytes[index]).padStart(9)} ${(bytes[index] / bytes[1]).toFixed(2)}; ${ratio(compare(rounds, index, 1, 'wallMs'))}, ${ratio(compare(rounds, index, 1, 'cpuMs'))}`,
    );
  });
  console.log(
    `  largest parts of the controller bundle: ${largestInputs(handlerBuild.metafile!, 8).join(', ')}`,
  );
  console.log(
    `  largest parts of the SDK-only bundle:   ${largestInputs(sdk.metafile, 5).join(', ')}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
