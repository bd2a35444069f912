import { DEFAULT_SEEDS, DEFAULT_THREADS, parseBenchArgs } from '../../bench/args';
import { CONTROLLER_NAMES } from '../../bench/catalog';
import { checkTargets, ScoreRow } from '../../bench/scores';
import { SCENARIOS } from '../../bench/sim/scenarios';

const NAMES = { scenarios: SCENARIOS.map((s) => s.id), controllers: CONTROLLER_NAMES };
const parse = (...argv: string[]) => parseBenchArgs(argv, NAMES);

function options(...argv: string[]) {
  const parsed = parse(...argv);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function error(...argv: string[]): string {
  const parsed = parse(...argv);
  if (parsed.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

describe('parseBenchArgs', () => {
  test('no arguments: the full run, with every scenario, controller and the default seeds', () => {
    expect(options()).toEqual({
      seeds: DEFAULT_SEEDS,
      scenarios: NAMES.scenarios,
      controllers: [...CONTROLLER_NAMES],
      threads: DEFAULT_THREADS,
      charts: true,
      metricDelaySeconds: 120,
      serviceDistribution: 'exponential',
      partial: false,
      partialBy: [],
    });
  });

  test("the spec's variants: a metric delay and lognormal service make a partial run", () => {
    const variant = options('--metric-delay', '180', '--service=lognormal');

    expect(variant.metricDelaySeconds).toBe(180);
    expect(variant.serviceDistribution).toBe('lognormal');
    expect(variant.partial).toBe(true);
    expect(variant.partialBy).toEqual(['--metric-delay', '--service']);
    expect(variant.scenarios).toEqual(NAMES.scenarios);
  });

  test.each(['-60', '1.5', 'soon', '601'])('metric delay %p fails, naming the rule', (delay) => {
    const message = error('--metric-delay', delay);
    expect(message).toContain('--metric-delay');
    expect(message).toContain(`"${delay}"`);
    expect(message).toContain('whole seconds from 0 to 600');
  });

  test('a flag given twice fails, naming it and both values, instead of keeping the last', () => {
    expect(error('--metric-delay', '60', '--metric-delay', '180')).toBe(
      '--metric-delay is given twice ("60" and "180"); give it once',
    );
    expect(error('--scenarios', 'S1', '--scenarios=S2')).toContain(
      'give it once, with a comma-separated list',
    );
    expect(error('--no-charts', '--no-charts')).toBe('--no-charts is given twice; give it once');
  });

  test('-h taken as a flag value is that flag\'s bad value, not a call for help', () => {
    expect(error('--metric-delay', '-h')).toContain('"-h" is not a delay');
    expect(parse('--seeds', '1', '-h').kind).toBe('help');
  });

  test('an unknown service distribution fails, listing the ones there are', () => {
    const message = error('--service', 'pareto');
    expect(message).toContain('"pareto"');
    expect(message).toContain('exponential, lognormal');
  });

  test('an unknown scenario fails, naming the flag, the value and the scenarios there are', () => {
    const message = error('--scenarios', 'S11');
    expect(message).toContain('--scenarios');
    expect(message).toContain('"S11"');
    expect(message).toContain('S1, S2, S3, S4, S5, S6, S7, S8, S9, S10');
  });

  test('an unknown controller fails, listing the controllers there are', () => {
    const message = error('--controllers', 'adaptive,B9');
    expect(message).toContain('--controllers');
    expect(message).toContain('"B9"');
    expect(message).not.toContain('"adaptive"');
    for (const name of CONTROLLER_NAMES) expect(message).toContain(name);
  });

  test.each(['x', '1.5', '1,two', '-1', ','])('seeds %p fail', (seeds) => {
    const message = error('--seeds', seeds);
    expect(message).toContain('--seeds');
    expect(message).toMatch(/integer/);
  });

  test('an unknown flag fails, naming it and listing the flags', () => {
    const message = error('--seed', '3');
    expect(message).toContain('"--seed"');
    expect(message).toContain(
      '--seeds, --scenarios, --controllers, --threads, --metric-delay, --service, --no-charts',
    );
  });

  test('a stray argument or a flag without its value fails', () => {
    expect(error('S1')).toContain('unexpected argument "S1"');
    expect(error('--scenarios')).toContain('--scenarios needs a value');
    expect(error('--scenarios', '--no-charts')).toContain('--scenarios needs a value');
    expect(error('--threads', '0')).toContain('--threads');
  });

  test('--help and -h give the usage, whatever else is given', () => {
    for (const argv of [['--help'], ['-h'], ['--scenarios', 'S11', '--help']]) {
      const parsed = parse(...argv);
      expect(parsed.kind).toBe('help');
      if (parsed.kind !== 'help') continue;
      for (const text of ['--scenarios', '--controllers', '--seeds', '--no-charts', 'Examples'])
        expect(parsed.text).toContain(text);
      expect(parsed.text).toContain('default: 1,2');
    }
  });

  test('any of --scenarios, --controllers or --seeds makes the run partial', () => {
    expect(options('--no-charts', '--threads', '4')).toMatchObject({
      partial: false,
      charts: false,
      threads: 4,
    });
    expect(options('--scenarios', 'S4,S1')).toMatchObject({
      partial: true,
      partialBy: ['--scenarios'],
      scenarios: ['S1', 'S4'],
    });
    expect(options('--controllers=B1,adaptive')).toMatchObject({
      partial: true,
      controllers: ['adaptive', 'B1'],
    });
    // Even the default seeds, given explicitly: the run is not the benchmark of record.
    expect(options('--seeds', '1,2')).toMatchObject({ partial: true, seeds: [1, 2] });
    expect(options('--seeds', '3, 4,3')).toMatchObject({ seeds: [3, 4] });
  });
});

describe('checkTargets on a partial run', () => {
  const row = (scenario: string, policy: string, extra: Partial<ScoreRow> = {}): ScoreRow => ({
    scenario,
    policy,
    seeds: [1],
    p50_ms: 100,
    p99_ms: 200,
    p99_ms_min: 200,
    p99_ms_max: 200,
    p999_ms: 300,
    oracle_p99_ms: 200,
    p99_ratio: 1,
    delayed_oracle_p99_ms: 200,
    p99_ratio_delayed: 1,
    settled_p99_ratio: 1,
    error_rate: 0,
    convergence_min: 0,
    weight_movement_per_hour: 0,
    writes_per_hour: 2,
    ...extra,
  });

  test('targets needing what did not run are not run, not missed', () => {
    const rows = [row('S1', 'adaptive', { p99_ratio: null }), row('S1', 'B1', { p99_ratio: null })];
    const targets = checkTargets(rows, { scenarios: ['S1'], controllers: ['adaptive', 'B1'] });
    const missed = targets.filter((t) => !t.met && !t.notRun);
    expect(missed).toEqual([]);
    expect(targets.find((t) => t.target === 'adaptive S1 writes_per_hour <= 12')).toMatchObject({
      met: true,
    });
    expect(targets.find((t) => t.target === 'canary promotes on S7')).toMatchObject({
      notRun: true,
    });
    // Needs B3 as well as B1.
    expect(targets.find((t) => t.target.startsWith('adaptive S1 p99 <= 1.02'))).toMatchObject({
      notRun: true,
    });
  });

  test('without a scope every target is judged, so the full run reports its misses', () => {
    const targets = checkTargets([row('S1', 'adaptive')]);
    expect(targets.some((t) => t.notRun)).toBe(false);
    expect(targets.find((t) => t.target === 'canary promotes on S7')).toMatchObject({
      met: false,
      value: 'none',
    });
  });
});
