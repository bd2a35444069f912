/**
 * `npm run playground -- --scenario S4 --policy adaptive --minutes 60 --seed 1 --speed 0`
 *
 * Starts moto_server, creates the example ALB service in it, and lets the controller handler the
 * construct deploys steer a simulated fleet minute by minute. Prints a row per minute, then a
 * summary; writes an SVG chart, the run as JSON and the handler's log lines. Ctrl-C stops moto.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { canaryParameters } from '../bench/catalog';
import { PolicyDefinition } from '../lambda/contract';
import { policyFromModule } from '../lambda/custom-policy';
import { builtInPolicies, resolvePolicy } from '../lambda/policies';
import { MotoServer, startMotoServer } from '../tools/moto-server';
import { disposeBlueprint, synthesizeBlueprint } from './blueprint';
import { renderPlaygroundChart } from './chart';
import { runInProcess } from './in-process';
import { Withholding } from './minutes';
import { MinuteRow, PlaygroundRun, runPlayground } from './run';
import { playableScenarioIds, playgroundScenario, startingWeights } from './scenario';

const ROOT = path.join(__dirname, '..');

const USAGE = `npm run playground -- [options]
  --scenario ID       one of ${playableScenarioIds().join(', ')} (default S4)
  --policy NAME|FILE  a built-in policy (${Object.keys(builtInPolicies).join(', ')}) or a policy
                      file, bundled as the construct bundles it (default adaptive if built in)
  --minutes N         simulated minutes (default 60)
  --seed N            simulation seed (default 1)
  --speed N           simulated minutes per second; 0 runs as fast as moto answers (default 0)
  --change-at N       move the scenario's change to minute N (default: where it is, minute 60)
  --withhold L:A-B    publish no datapoints for group L in minutes A to B-1
  --out DIR           where the chart, run JSON and handler log go (default playground/results)
  --no-build          use dist/handler as it is instead of bundling the handler first`;

interface CliOptions {
  readonly scenarioId: string;
  readonly policy: string;
  readonly policyFile?: string;
  readonly minutes: number;
  readonly seed: number;
  readonly speed: number;
  readonly changeAtMinute?: number;
  readonly withhold?: Withholding;
  readonly outDir: string;
  readonly build: boolean;
}

function wholeNumber(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${name} is "${text}"; it must be a whole number of at least ${min}`);
  }
  return value;
}

function parseWithhold(text: string | undefined): Withholding | undefined {
  if (text === undefined) return undefined;
  const match = /^([A-Za-z0-9-]+):(\d+)-(\d+)$/.exec(text);
  if (!match || Number(match[3]) <= Number(match[2])) {
    throw new Error(
      `--withhold is "${text}"; it must read LABEL:FROM-TO with FROM < TO, e.g. B:5-9`,
    );
  }
  return { label: match[1], fromMinute: Number(match[2]), toMinute: Number(match[3]) };
}

export function parseCli(argv: readonly string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenario: { type: 'string' },
      policy: { type: 'string' },
      minutes: { type: 'string' },
      seed: { type: 'string' },
      speed: { type: 'string' },
      'change-at': { type: 'string' },
      withhold: { type: 'string' },
      out: { type: 'string' },
      'no-build': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const policy = values.policy ?? ('adaptive' in builtInPolicies ? 'adaptive' : 'healthy-hosts');
  const isFile = /\.(ts|js|mjs|cjs)$/.test(policy) || policy.includes('/');
  if (isFile && !fs.existsSync(policy))
    throw new Error(`--policy is "${policy}"; no such policy file`);
  if (!isFile && !Object.prototype.hasOwnProperty.call(builtInPolicies, policy)) {
    throw new Error(
      `--policy is "${policy}"; it must be a built-in policy (${Object.keys(builtInPolicies).join(', ')}) or a policy file`,
    );
  }
  const speed = Number(values.speed ?? 0);
  if (!Number.isFinite(speed) || speed < 0) {
    throw new Error(
      `--speed is "${values.speed}"; it must be 0 (as fast as moto answers) or simulated minutes per second`,
    );
  }
  return {
    scenarioId: values.scenario ?? 'S4',
    policy: isFile ? 'custom' : policy,
    policyFile: isFile ? path.resolve(policy) : undefined,
    minutes: wholeNumber('minutes', values.minutes, 60, 1),
    seed: wholeNumber('seed', values.seed, 1, 0),
    speed,
    changeAtMinute:
      values['change-at'] === undefined
        ? undefined
        : wholeNumber('change-at', values['change-at'], 0, 0),
    withhold: parseWithhold(values.withhold),
    outDir: path.resolve(values.out ?? path.join(ROOT, 'playground', 'results')),
    build: !values['no-build'],
  };
}

const pct = (part: number, whole: number) =>
  whole > 0 ? `${((100 * part) / whole).toFixed(2)}%` : '—';
const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`);

function rowLine(row: MinuteRow): string {
  const weights = row.weights.map((w) => String(w).padStart(4)).join('');
  const reason = row.reason.length > 44 ? `${row.reason.slice(0, 43)}…` : row.reason;
  const p99 = ms(row.slowestGroupP99Ms).padStart(9);
  const errors = pct(row.errors, row.requests).padStart(7);
  const written = row.written ? 'w' : ' ';
  return `${String(row.minute).padStart(4)} ${weights}  ${written} ${p99} ${errors}  ${reason}`;
}

function fileBase(options: CliOptions, scenarioId: string): string {
  const policy = options.policyFile
    ? path.basename(options.policyFile).replace(/\.\w+$/, '')
    : options.policy;
  return `${scenarioId.replace('@', '-at')}-${policy}-seed${options.seed}`;
}

function summary(run: PlaygroundRun): string[] {
  const r = run.result;
  const last = run.rows[run.rows.length - 1];
  const finalWeights = run.labels.map((label, i) => `${label} ${last?.weights[i]}`).join(', ');
  const writes = run.rows.filter((row) => row.written).length;
  return [
    `summary: ${r.requests} requests, error rate ${pct(r.errors, r.requests)}, ` +
      `p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}, p99.9 ${ms(r.p999Ms)}`,
    `         ${writes} weight writes; final weights ${finalWeights}`,
  ];
}

async function main(): Promise<void> {
  // The SDK warns about Node 20 once per client; the playground's output is its table.
  const warningListeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (!`${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning'))
      warningListeners.forEach((l) => l(warning));
  });
  const parsed = parseCli(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  const options = parsed;
  const scenario = playgroundScenario(options.scenarioId, options.changeAtMinute);
  if (scenario.changeStartMinute >= options.minutes) {
    console.warn(
      `note: ${scenario.id}'s change window starts at minute ${scenario.changeStartMinute}, after the last of ${options.minutes} simulated minutes; pass --change-at (e.g. --change-at ${Math.floor(options.minutes / 3)}) or more --minutes to see it`,
    );
  }
  if (options.build && !options.policyFile) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handler.mjs')], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  const policyParameters = options.policy === 'canary' ? canaryParameters(scenario) : undefined;
  console.log(
    `synthesizing the playground stack (policy ${options.policyFile ?? options.policy}) …`,
  );
  const blueprint = synthesizeBlueprint({
    groups: scenario.groups.map((g, i) => ({
      label: g.label,
      weight: startingWeights(scenario)[i],
    })),
    policy: options.policy,
    policyFile: options.policyFile,
    policyParameters,
  });

  let moto: MotoServer | undefined;
  let motoStarting: Promise<MotoServer> | undefined;
  const abort = new AbortController();
  process.once('SIGINT', () => {
    abort.abort();
    process.exitCode = 130;
    console.error('\nstopping moto_server');
    // moto may still be starting: wait for its process id, then stop it by that id.
    const stopped = motoStarting
      ? motoStarting.then((m) => m.stop()).catch(() => undefined)
      : Promise.resolve();
    void stopped.finally(() => {
      disposeBlueprint(blueprint);
      process.exit(130);
    });
  });

  try {
    motoStarting = startMotoServer();
    moto = await motoStarting;
    console.log(
      `moto_server pid ${moto.pid} on ${moto.endpoint}; handler code from ${blueprint.handlerDir}`,
    );
    console.log(
      `${scenario.id}: ${scenario.title}, seed ${options.seed}, ${options.minutes} minutes\n`,
    );
    fs.mkdirSync(options.outDir, { recursive: true });
    const base = fileBase(options, scenario.id);
    const logFile = path.join(options.outDir, `${base}.handler.log`);
    const log = fs.openSync(logFile, 'w');

    const header = scenario.groups.map((g) => g.label.padStart(4)).join('');
    console.log(` min ${header}     p99 worst  errors  reason (w: weights written)`);
    const run = await runPlayground({
      scenarioId: options.scenarioId,
      changeAtMinute: options.changeAtMinute,
      seed: options.seed,
      minutes: options.minutes,
      blueprint,
      endpoint: moto.endpoint,
      withhold: options.withhold,
      speed: options.speed,
      signal: abort.signal,
      onMinute: (row) => console.log(rowLine(row)),
      onHandlerOutput: (line) => fs.writeSync(log, `${line}\n`),
    });
    fs.closeSync(log);

    const policy: PolicyDefinition<any> = options.policyFile
      ? policyFromModule(require(options.policyFile))
      : resolvePolicy(options.policy);
    const inProcess = runInProcess({ ...options, config: run.config, policy });
    const differing = run.rows.findIndex(
      (row, m) => row.weights.join() !== inProcess.weights[m].join(),
    );

    const chartFile = path.join(options.outDir, `${base}.svg`);
    const title = `${scenario.id} ${scenario.title}: ${options.policy}, seed ${options.seed}`;
    const chart = await renderPlaygroundChart(run, {
      title,
      changeStartMinute: scenario.changeStartMinute,
    });
    fs.writeFileSync(chartFile, chart);
    const jsonFile = path.join(options.outDir, `${base}.json`);
    const saved = {
      scenario: scenario.id,
      policy: options.policyFile ?? options.policy,
      seed: options.seed,
      labels: run.labels,
      rows: run.rows,
      minuteP99Ms: run.result.minuteP99Ms,
    };
    fs.writeFileSync(jsonFile, `${JSON.stringify(saved, null, 1)}\n`);

    const agreement =
      differing < 0
        ? `same weights on all ${run.rows.length} minutes`
        : `first differs at minute ${differing}`;
    console.log(
      ['', ...summary(run), `         in-process decision step: ${agreement}`].join('\n'),
    );
    for (const [name, file] of [
      ['chart', chartFile],
      ['run', jsonFile],
      ['handler', logFile],
    ]) {
      console.log(`${`${name}:`.padEnd(9)}${path.relative(process.cwd(), file)}`);
    }
    if (differing >= 0) process.exitCode = 1;
  } finally {
    await moto?.stop();
    disposeBlueprint(blueprint);
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    // After Ctrl-C the SIGINT handler stops moto and exits.
    if (process.exitCode === 130) return;
    console.error(`playground: ${error.message}`);
    process.exit(1);
  });
}
