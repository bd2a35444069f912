/**
 * `npm run bench`: every scenario for every built-in policy and baseline, spread over worker
 * threads; prints the table and the targets, writes bench/results/latest.json and one SVG chart per
 * scenario.
 *
 * Options: --seeds 1,2,3  --scenarios S1,S4  --controllers adaptive,B2,B2d  --no-charts
 */
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { SingleBar } from 'cli-progress';
import { CONTROLLER_NAMES } from './catalog';
import { chartSpec, renderSvg } from './charts';
import { checkTargets, ScoreRow, scoreRow } from './scores';
import { BENCH_GUARDRAILS } from './sim/controllers';
import { SCENARIOS } from './sim/scenarios';
import { SimulationResult } from './sim/simulate';
import type { BenchTask } from './worker';

const DEFAULT_SEEDS = [1, 2];
const RESULTS_DIR = path.join(__dirname, 'results');

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function listOption(name: string): string[] | undefined {
  return option(name)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Every run to do. S9 has seeds of its own: the canary runs all 20 (false rollbacks are counted
 * over them); the other controllers run as many of them as the other scenarios have seeds.
 */
function plan(
  seeds: readonly number[],
  scenarios: readonly string[],
  controllers: readonly string[],
): BenchTask[] {
  const tasks: BenchTask[] = [];
  for (const scenario of SCENARIOS.filter((s) => scenarios.includes(s.id))) {
    for (const controller of controllers) {
      const own = scenario.seeds;
      const runSeeds = own ? (controller === 'canary' ? own : own.slice(0, seeds.length)) : seeds;
      for (const seed of runSeeds)
        tasks.push({ id: tasks.length, scenario: scenario.id, controller, seed });
    }
  }
  return tasks;
}

async function bundleWorker(): Promise<string> {
  const outfile = path.join(RESULTS_DIR, 'tmp', 'worker.cjs');
  await build({
    entryPoints: [path.join(__dirname, 'worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  return outfile;
}

async function runAll(tasks: readonly BenchTask[], threads: number): Promise<SimulationResult[]> {
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
    const workers = Array.from({ length: threads }, () => new Worker(workerFile));
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
      feed(worker);
    }
  });
  bar.stop();
  return results;
}

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
    format(r.convergence_min, 0),
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

async function main(): Promise<void> {
  const started = Date.now();
  const seeds = (listOption('seeds') ?? DEFAULT_SEEDS.map(String)).map(Number);
  const scenarios = listOption('scenarios') ?? SCENARIOS.map((s) => s.id);
  const controllers = listOption('controllers') ?? [...CONTROLLER_NAMES];
  const threads = Math.max(1, Math.min(availableParallelism(), Number(option('threads') ?? 2)));
  const tasks = plan(seeds, scenarios, controllers);
  console.log(
    `${tasks.length} runs of ${SCENARIOS[0].minutes} simulated minutes on ${threads} threads, seeds ${seeds.join(', ')} (S9: its own 20)`,
  );

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
  const targets = checkTargets(rows);
  console.log('\nTargets');
  for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${t.value}`);
  console.log(
    `\n${(simulatedRequests / 1e6).toFixed(0)} M requests in ${elapsedSeconds.toFixed(1)} s ` +
      `(${(simulatedRequests / 1e6 / elapsedSeconds).toFixed(1)} M requests/s over ${threads} threads)`,
  );

  mkdirSync(RESULTS_DIR, { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    seeds,
    s9Seeds: SCENARIOS.find((s) => s.id === 'S9')?.seeds ?? [],
    metricDelaySeconds: 120,
    guardrails: BENCH_GUARDRAILS,
    elapsedSeconds,
    simulatedRequests,
    rows,
    targets,
  };
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), JSON.stringify(report, null, 2) + '\n');

  if (!process.argv.includes('--no-charts')) {
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
      writeFileSync(path.join(RESULTS_DIR, `${scenario.id}.svg`), await renderSvg(spec));
    }
  }
  console.log(
    `wrote ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.json'))} and the charts in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
