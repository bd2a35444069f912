/**
 * `npm run bench`: every scenario for every built-in policy and baseline, spread over worker
 * threads; prints the table and the targets, writes bench/results/latest.json and one SVG chart per
 * scenario. A partial run (--scenarios, --controllers, --seeds, or a variant: --metric-delay,
 * --service) writes to bench/results/tmp/ instead, so it never replaces the results of record.
 *
 * Options (`--help` lists them): --seeds 1,2,3  --scenarios S1,S4  --controllers adaptive,B2,B2d
 * --threads 4  --metric-delay 180  --service lognormal  --no-charts
 */
import { bundleWorkerScript } from '../tools/bundle-worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { SingleBar } from 'cli-progress';
import { BenchOptions, parseBenchArgs } from './args';
import { CONTROLLER_NAMES } from './catalog';
import { chartSpec, renderSvg } from './charts';
import { checkTargets, ScoreRow, scoreRow, TargetCheck } from './scores';
import { BENCH_GUARDRAILS } from './sim/controllers';
import { SCENARIOS } from './sim/scenarios';
import { SimulationResult } from './sim/simulate';
import type { BenchTask } from './worker';

const RESULTS_DIR = path.join(__dirname, 'results');
/** Where partial runs write: gitignored, so they never replace the tracked results. */
const PARTIAL_DIR = path.join(RESULTS_DIR, 'tmp');

/**
 * Every run to do. S9 has seeds of its own: the canary runs all 20 (false rollbacks are counted
 * over them); the other controllers run as many of them as the other scenarios have seeds.
 */
function plan(options: BenchOptions): BenchTask[] {
  const { seeds, scenarios, controllers, metricDelaySeconds, serviceDistribution } = options;
  const tasks: BenchTask[] = [];
  for (const scenario of SCENARIOS.filter((s) => scenarios.includes(s.id))) {
    for (const controller of controllers) {
      const own = scenario.seeds;
      const runSeeds = own ? (controller === 'canary' ? own : own.slice(0, seeds.length)) : seeds;
      for (const seed of runSeeds)
        tasks.push({
          id: tasks.length,
          scenario: scenario.id,
          controller,
          seed,
          metricDelaySeconds,
          serviceDistribution,
        });
    }
  }
  return tasks;
}

function bundleWorker(): Promise<string> {
  return bundleWorkerScript(
    path.join(__dirname, 'worker.ts'),
    path.join(RESULTS_DIR, 'tmp', 'worker.cjs'),
  );
}

async function runAll(tasks: readonly BenchTask[], threads: number): Promise<SimulationResult[]> {
  // The promise below settles when the last run reports: with no runs it would never settle.
  if (tasks.length === 0) return [];
  const workerFile = await bundleWorker();
  const results: SimulationResult[] = new Array(tasks.length);
  const bar = new SingleBar({
    format: 'simulating [{bar}] {value}/{total} runs | {eta_formatted} left | {last}',
    hideCursor: true,
  });
  bar.start(tasks.length, 0, { last: '' });
  let next = 0;
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const workers = Array.from(
      { length: Math.min(threads, tasks.length) },
      () => new Worker(workerFile),
    );
    const feed = (worker: Worker): void => {
      if (next < tasks.length) worker.postMessage(tasks[next++]);
    };
    for (const worker of workers) {
      worker.on('message', (message: { id: number; result?: SimulationResult; error?: string }) => {
        if (message.error) {
          workers.forEach((w) => void w.terminate());
          reject(new Error(`run ${JSON.stringify(tasks[message.id])} failed: ${message.error}`));
          return;
        }
        results[message.id] = message.result!;
        done++;
        const task = tasks[message.id];
        bar.update(done, { last: `${task.scenario} ${task.controller} seed ${task.seed}` });
        if (done === tasks.length) {
          workers.forEach((w) => void w.terminate());
          resolve();
        } else {
          feed(worker);
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (done < tasks.length)
          reject(new Error(`a worker exited (code ${code}) with ${tasks.length - done} runs left`));
      });
      feed(worker);
    }
  });
  bar.stop();
  return results;
}

/** Whole numbers as they are, others to `digits` decimals. */
function format(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return '-';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

function printTable(rows: readonly ScoreRow[]): void {
  const header = [
    'scenario',
    'policy',
    'p99 ms',
    'p99/B2',
    'p99/B2d',
    'settled',
    'errors',
    'conv min',
    'move/h',
    'writes/h',
    'canary',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    r.policy,
    format(r.p99_ms, 1),
    format(r.p99_ratio),
    format(r.p99_ratio_delayed),
    format(r.settled_p99_ratio),
    format(r.error_rate, 4),
    format(r.convergence_min, 1),
    format(r.weight_movement_per_hour, 2),
    format(r.writes_per_hour, 1),
    r.policy === 'canary'
      ? [
          r.promoted ? 'promoted' : '',
          r.rollback_min !== undefined ? `rollback ${format(r.rollback_min, 1)} min` : '',
          r.false_rollbacks !== undefined ? `${r.false_rollbacks} false rollbacks` : '',
        ]
          .filter(Boolean)
          .join(', ')
      : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const show = (cells: string[]) =>
    console.log(
      cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '),
    );
  show(header);
  let previous = '';
  for (const line of lines) {
    if (line[0] !== previous && previous !== '') console.log('');
    previous = line[0];
    show(line);
  }
}

function label(t: TargetCheck): string {
  return t.notRun ? 'not run' : t.met ? 'met' : 'MISSED';
}

async function main(argv: readonly string[]): Promise<void> {
  const parsed = parseBenchArgs(argv, {
    scenarios: SCENARIOS.map((s) => s.id),
    controllers: CONTROLLER_NAMES,
  });
  if (parsed.kind === 'help') {
    console.log(parsed.text);
    return;
  }
  if (parsed.kind === 'error') {
    console.error(`bench: ${parsed.message}\nRun \`npx tsx bench/run.ts --help\` for usage.`);
    process.exitCode = 2;
    return;
  }
  await bench(parsed.options);
}

async function bench(options: BenchOptions): Promise<void> {
  const started = Date.now();
  const { seeds, scenarios, controllers, partial } = options;
  const threads = Math.max(1, Math.min(availableParallelism(), options.threads));
  if (threads < options.threads)
    console.log(`--threads ${options.threads}: this machine has ${threads} cores, so ${threads}`);
  const tasks = plan(options);
  if (tasks.length === 0) {
    // parseBenchArgs admits only known names, so this is a bug in plan(), not a user error.
    throw new Error(`no runs planned for ${JSON.stringify(options)}`);
  }
  console.log(
    `${tasks.length} runs of ${SCENARIOS[0].minutes} simulated minutes on ${threads} threads, seeds ${seeds.join(', ')} (S9: its own 20)`,
  );
  console.log(
    `metrics ${options.metricDelaySeconds} s late; ${options.serviceDistribution} service times`,
  );
  if (partial) {
    console.log(
      `partial run (${options.partialBy.join(', ')}): scenarios ${scenarios.join(', ')}; ` +
        `controllers ${controllers.join(', ')}`,
    );
  }

  const results = await runAll(tasks, threads);
  const simulatedRequests = results.reduce((sum, r) => sum + r.requests, 0);
  const elapsedSeconds = (Date.now() - started) / 1000;

  const byKey = new Map<string, SimulationResult[]>();
  for (const result of results) {
    const key = `${result.scenario}|${result.controller}`;
    byKey.set(key, [...(byKey.get(key) ?? []), result]);
  }
  const bySeed = (scenario: string, controller: string) =>
    new Map((byKey.get(`${scenario}|${controller}`) ?? []).map((r) => [r.seed, r] as const));
  const rows: ScoreRow[] = [];
  for (const scenario of scenarios) {
    for (const controller of controllers) {
      const runs = byKey.get(`${scenario}|${controller}`);
      if (runs) rows.push(scoreRow(runs, bySeed(scenario, 'B2'), bySeed(scenario, 'B2d')));
    }
  }

  console.log('');
  printTable(rows);
  // A partial run judges only the targets whose scenarios and controllers it ran.
  const targets = checkTargets(rows, partial ? { scenarios, controllers } : undefined);
  const count = (l: string) => targets.filter((t) => label(t) === l).length;
  const notRun = count('not run');
  console.log(
    `\nTargets: ${count('met')} met, ${count('MISSED')} missed` +
      (notRun > 0 ? ` (${notRun} not run: they need scenarios or controllers this run left out)` : ''),
  );
  // The judged targets first; those this run could not judge after them, without a value.
  for (const t of targets.filter((x) => !x.notRun))
    console.log(`  ${label(t).padEnd(7)}  ${t.target}: ${t.value}`);
  for (const t of targets.filter((x) => x.notRun)) console.log(`  not run  ${t.target}`);
  console.log(
    `\n${(simulatedRequests / 1e6).toFixed(0)} M requests in ${elapsedSeconds.toFixed(1)} s ` +
      `(${(simulatedRequests / 1e6 / elapsedSeconds).toFixed(1)} M requests/s over ${threads} threads)`,
  );

  const outDir = partial ? PARTIAL_DIR : RESULTS_DIR;
  mkdirSync(outDir, { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    ...(partial ? { partial: true, scenarios, controllers } : {}),
    seeds,
    s9Seeds: SCENARIOS.find((s) => s.id === 'S9')?.seeds ?? [],
    metricDelaySeconds: options.metricDelaySeconds,
    serviceDistribution: options.serviceDistribution,
    guardrails: BENCH_GUARDRAILS,
    elapsedSeconds,
    simulatedRequests,
    rows,
    targets,
  };
  const reportFile = path.join(outDir, partial ? 'partial.json' : 'latest.json');
  writeFileSync(reportFile, JSON.stringify(report, null, 2) + '\n');

  const charts: string[] = [];
  if (options.charts) {
    for (const scenario of SCENARIOS.filter((s) => scenarios.includes(s.id))) {
      const policyName = scenario.canary ? 'canary' : 'adaptive';
      const firstSeed = (name: string) => byKey.get(`${scenario.id}|${name}`)?.[0];
      const policy = firstSeed(policyName);
      const oracleRun = firstSeed('B2');
      if (!policy || !oracleRun) continue;
      const spec = chartSpec(
        `${scenario.id} ${scenario.title}: ${policyName} against the oracle (seed ${policy.seed})`,
        policy,
        oracleRun,
        firstSeed('B1'),
      );
      const chartFile = path.join(outDir, `${scenario.id}.svg`);
      writeFileSync(chartFile, await renderSvg(spec));
      charts.push(chartFile);
    }
  }
  const relative = (file: string) => path.relative(process.cwd(), file);
  const chartNote = !options.charts
    ? ''
    : charts.length > 0
      ? ` and ${charts.length} chart${charts.length > 1 ? 's' : ''} (${charts.map((f) => path.basename(f)).join(', ')}) in ${relative(outDir)}/`
      : ' and no charts (a chart needs the scenario\'s policy, adaptive or canary, and B2)';
  console.log(
    `wrote ${relative(reportFile)}${chartNote} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (partial) {
    console.log(
      `partial run: ${relative(path.join(RESULTS_DIR, 'latest.json'))} and the tracked charts are unchanged (npm run bench does the full run)`,
    );
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
