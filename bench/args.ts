/**
 * The benchmark's command line, parsed and checked before anything runs: a name that matches no
 * scenario or controller would otherwise plan no runs at all. Pure, so tests can call it.
 */

export const DEFAULT_SEEDS: readonly number[] = [1, 2];
export const DEFAULT_THREADS = 2;
/** The spec's default metric delay; 60 and 180 s are its variants. */
export const DEFAULT_METRIC_DELAY_SECONDS = 120;
export const MAX_METRIC_DELAY_SECONDS = 600;
export const SERVICE_DISTRIBUTIONS = ['exponential', 'lognormal'] as const;
export type ServiceDistribution = (typeof SERVICE_DISTRIBUTIONS)[number];

export interface BenchOptions {
  readonly seeds: readonly number[];
  readonly scenarios: readonly string[];
  readonly controllers: readonly string[];
  readonly threads: number;
  readonly charts: boolean;
  /** Seconds after a minute ends before the controllers see it. */
  readonly metricDelaySeconds: number;
  readonly serviceDistribution: ServiceDistribution;
  /**
   * Whether --scenarios, --controllers, --seeds, --metric-delay or --service was given: such a
   * run is not the benchmark of record, so it must not replace bench/results/latest.json or the
   * charts.
   */
  readonly partial: boolean;
  /** The flags that made the run partial, as given, for messages. */
  readonly partialBy: readonly string[];
}

/** The names the flags accept. */
export interface BenchNames {
  readonly scenarios: readonly string[];
  readonly controllers: readonly string[];
}

export type ParsedBenchArgs =
  | { readonly kind: 'run'; readonly options: BenchOptions }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'error'; readonly message: string };

const VALUE_FLAGS = [
  '--seeds',
  '--scenarios',
  '--controllers',
  '--threads',
  '--metric-delay',
  '--service',
] as const;
/** The flags that make a run other than the benchmark of record. */
const PARTIAL_FLAGS = [
  '--scenarios',
  '--controllers',
  '--seeds',
  '--metric-delay',
  '--service',
] as const;
const SWITCHES = ['--no-charts', '--help', '-h'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

export function benchUsage(names: BenchNames): string {
  return [
    'Usage: npx tsx bench/run.ts [options]      (npm run bench = the full run)',
    '',
    'Simulates every scenario for every controller and seed, prints the table and the targets.',
    'A full run writes bench/results/latest.json and one chart per scenario; a partial run (any of',
    '--scenarios, --controllers, --seeds, --metric-delay, --service) writes to bench/results/tmp/',
    'instead.',
    '',
    'Options:',
    `  --scenarios LIST    comma-separated scenarios (default: all: ${names.scenarios.join(',')})`,
    '  --controllers LIST  comma-separated controllers',
    `                      (default: all: ${names.controllers.join(',')})`,
    `  --seeds LIST        comma-separated integer seeds (default: ${DEFAULT_SEEDS.join(',')});`,
    '                      S9 runs its own: the canary all 20, the others as many as given',
    `  --threads N         worker threads, at most the cores (default: ${DEFAULT_THREADS})`,
    '  --metric-delay S    seconds after a minute ends before CloudWatch shows it, 0–600',
    `                      (default: ${DEFAULT_METRIC_DELAY_SECONDS}; the spec's variants are 60 and 180)`,
    `  --service DIST      service times: ${SERVICE_DISTRIBUTIONS.join(' (default) or ')}`,
    '                      (σ = 1, same mean)',
    '  --no-charts         write no SVG charts',
    '  -h, --help          print this and exit',
    '',
    'Examples:',
    '  npm run bench',
    '  npx tsx bench/run.ts --scenarios S1 --controllers adaptive,B1 --no-charts',
    '  npx tsx bench/run.ts --scenarios S4,S5 --controllers adaptive,B2,B2d --seeds 1,2,3',
    '  npx tsx bench/run.ts --metric-delay 180 --service lognormal --no-charts',
  ].join('\n');
}

/** Parses argv (without node and the script), checking every name and number against `names`. */
export function parseBenchArgs(argv: readonly string[], names: BenchNames): ParsedBenchArgs {
  const values = new Map<ValueFlag, string>();
  let charts = true;
  const fail = (message: string): ParsedBenchArgs => ({ kind: 'error', message });

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if ((flag === '--help' || flag === '-h') && eq < 0) return { kind: 'help', text: benchUsage(names) };
    if (flag === '--no-charts') {
      if (eq >= 0) return fail(`--no-charts takes no value, but got "${arg}"`);
      if (!charts) return fail('--no-charts is given twice; give it once');
      charts = false;
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
      const allowed = [...VALUE_FLAGS, ...SWITCHES].join(', ');
      return fail(
        arg.startsWith('-')
          ? `unknown flag "${arg}"; the flags are ${allowed}`
          : `unexpected argument "${arg}"; values follow their flag (the flags are ${allowed})`,
      );
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (value === undefined || value.trim() === '')
      return fail(`${flag} needs a value, e.g. ${flag} ${example(flag as ValueFlag, names)}`);
    if (values.has(flag as ValueFlag))
      return fail(
        `${flag} is given twice ("${values.get(flag as ValueFlag)}" and "${value}"); give it once` +
          (flag === '--metric-delay' || flag === '--threads' || flag === '--service'
            ? ''
            : ', with a comma-separated list'),
      );
    values.set(flag as ValueFlag, value);
  }

  const list = (flag: ValueFlag): string[] | undefined => {
    const raw = values.get(flag);
    if (raw === undefined) return undefined;
    return [
      ...new Set(
        raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ];
  };
  const pick = (flag: ValueFlag, kind: string, allowed: readonly string[]) => {
    const given = list(flag);
    if (given === undefined) return { ok: [...allowed] };
    const valid = `the ${kind}s are ${allowed.join(', ')}`;
    if (given.length === 0) return { error: `${flag} lists no ${kind}s; ${valid}` };
    const unknown = given.filter((n) => !allowed.includes(n));
    if (unknown.length > 0) {
      const quoted = unknown.map((n) => `"${n}"`).join(', ');
      return { error: `${flag}: unknown ${kind}${unknown.length > 1 ? 's' : ''} ${quoted}; ${valid}` };
    }
    // In the catalog's order, so the table reads the same whatever order they were given in.
    return { ok: allowed.filter((n) => given.includes(n)) };
  };

  const scenarios = pick('--scenarios', 'scenario', names.scenarios);
  if (scenarios.error) return fail(scenarios.error);
  const controllers = pick('--controllers', 'controller', names.controllers);
  if (controllers.error) return fail(controllers.error);

  let seeds: number[] = [...DEFAULT_SEEDS];
  const givenSeeds = list('--seeds');
  if (givenSeeds !== undefined) {
    const hint = 'seeds are non-negative integers, e.g. --seeds 1,2';
    if (givenSeeds.length === 0) return fail(`--seeds lists no seeds; ${hint}`);
    const bad = givenSeeds.filter((s) => !/^\d+$/.test(s) || !Number.isSafeInteger(Number(s)));
    if (bad.length > 0) {
      const quoted = bad.map((s) => `"${s}"`).join(', ');
      return fail(`--seeds: ${quoted} ${bad.length > 1 ? 'are not seeds' : 'is not a seed'}; ${hint}`);
    }
    seeds = givenSeeds.map(Number);
  }

  let threads = DEFAULT_THREADS;
  const givenThreads = values.get('--threads');
  if (givenThreads !== undefined) {
    if (!/^\d+$/.test(givenThreads.trim()) || Number(givenThreads) < 1)
      return fail(`--threads: "${givenThreads}" is not a thread count, a positive integer like 4`);
    threads = Number(givenThreads);
  }

  let metricDelaySeconds = DEFAULT_METRIC_DELAY_SECONDS;
  const givenDelay = values.get('--metric-delay');
  if (givenDelay !== undefined) {
    const trimmed = givenDelay.trim();
    if (!/^\d+$/.test(trimmed) || Number(trimmed) > MAX_METRIC_DELAY_SECONDS)
      return fail(
        `--metric-delay: "${givenDelay}" is not a delay; it is whole seconds from 0 to ` +
          `${MAX_METRIC_DELAY_SECONDS}, e.g. --metric-delay 180`,
      );
    metricDelaySeconds = Number(trimmed);
  }

  let serviceDistribution: ServiceDistribution = 'exponential';
  const givenService = values.get('--service');
  if (givenService !== undefined) {
    const name = givenService.trim();
    if (!(SERVICE_DISTRIBUTIONS as readonly string[]).includes(name))
      return fail(
        `--service: unknown distribution "${givenService}"; the distributions are ` +
          SERVICE_DISTRIBUTIONS.join(', '),
      );
    serviceDistribution = name as ServiceDistribution;
  }

  const partialBy = PARTIAL_FLAGS.filter((f) => values.has(f));
  return {
    kind: 'run',
    options: {
      seeds,
      scenarios: scenarios.ok!,
      controllers: controllers.ok!,
      threads,
      charts,
      metricDelaySeconds,
      serviceDistribution,
      partial: partialBy.length > 0,
      partialBy,
    },
  };
}

function example(flag: ValueFlag, names: BenchNames): string {
  switch (flag) {
    case '--scenarios':
      return names.scenarios.slice(0, 2).join(',');
    case '--controllers':
      return names.controllers.slice(0, 2).join(',');
    case '--seeds':
      return DEFAULT_SEEDS.join(',');
    case '--threads':
      return '4';
    case '--metric-delay':
      return '180';
    case '--service':
      return 'lognormal';
  }
}
