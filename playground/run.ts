/**
 * The playground's loop: every simulated minute it puts the minute that just ended into moto's
 * CloudWatch as ELB would, matches the registered targets to the fleet's healthy hosts, invokes
 * the bundled handler the construct deploys (configuration in CONTROLLER_CONFIG, clock at the
 * simulated time, SDK pointed at moto), and routes the next minute by the weights it reads back
 * from moto's listener.
 */
import * as path from 'node:path';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { SimulationResult } from '../bench/sim/simulate';
import type { ControllerHandler, HandlerOptions, RunResult } from '../lambda/handler';
import { ControllerConfig } from '../lambda/contract';
import { Blueprint } from './blueprint';
import { elbDatapoints, isWithheld, MinuteView, Withholding } from './minutes';
import { deployToMoto, motoEnvironment, MotoDeployment } from './moto-deploy';
import { playgroundScenario } from './scenario';
import { startSteppedSimulation, SteppedSimulation } from './stepped-simulation';

export interface PlaygroundOptions {
  readonly scenarioId: string;
  readonly changeAtMinute?: number;
  readonly seed: number;
  readonly minutes: number;
  readonly blueprint: Blueprint;
  /** A running moto_server with nothing in it yet. */
  readonly endpoint: string;
  readonly withhold?: Withholding;
  /** Simulated minutes per second of wall time; 0 runs as fast as moto answers. */
  readonly speed?: number;
  readonly onMinute?: (row: MinuteRow, labels: readonly string[]) => void;
  /** Receives every line the handler writes (its JSON log and EMF metrics). */
  readonly onHandlerOutput?: (line: string) => void;
  /** Lets Ctrl-C end the run: the simulation is stopped here, moto by the caller. */
  readonly signal?: AbortSignal;
}

export interface MinuteRow {
  readonly minute: number;
  readonly nowMs: number;
  /**
   * The weights in force after this minute's run, read back from moto, in the order of the
   * configuration with every group (0 for a group not yet in the forward action).
   */
  readonly weights: number[];
  readonly written: boolean;
  readonly reason: string;
  /** The minute that just ended: requests, errors, the slowest group's p99 (null: no traffic). */
  readonly requests: number;
  readonly errors: number;
  readonly slowestGroupP99Ms: number | null;
}

export interface PlaygroundRun {
  readonly labels: string[];
  readonly config: ControllerConfig;
  readonly rows: MinuteRow[];
  readonly result: SimulationResult;
}

const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

export async function runPlayground(options: PlaygroundOptions): Promise<PlaygroundRun> {
  const scenario = playgroundScenario(options.scenarioId, options.changeAtMinute);
  const growth = scenario.autoscaling?.maxFactor ?? 1;
  const initialLabels = scenario.groups.filter((g) => g.joinMinute === 0).map((g) => g.label);
  const deployment = await deployToMoto(
    options.endpoint,
    options.blueprint,
    scenario.groups.map((g) => Math.ceil(g.hosts * growth)),
    scenario.groups.map((g) => (g.joinMinute === 0 ? g.hosts : 0)),
    initialLabels,
  );
  const labels = deployment.config.actions[0].targetGroups.map((tg) => tg.label);
  let inAction = labels.filter((l) => initialLabels.includes(l));

  const restoreEnv = setEnvironment({
    ...motoEnvironment(options.endpoint),
    ...(await deployment.useConfigFor(inAction)),
    // moto answers percentile queries with an internal error; the handler would only lose p99.
    CONTROLLER_READ_PERCENTILES: 'false',
  });
  let simulation: SteppedSimulation | undefined;
  try {
    let clockMs = 0;
    const handler = loadHandler(options.blueprint.handlerDir, { now: () => clockMs });
    simulation = await startSteppedSimulation({
      scenarioId: options.scenarioId,
      changeAtMinute: options.changeAtMinute,
      seed: options.seed,
      minutes: options.minutes,
    });
    const stop = () => void simulation?.stop();
    options.signal?.addEventListener('abort', stop);

    const rows: MinuteRow[] = [];
    let view = await simulation.next();
    while (view) {
      if (options.signal?.aborted) throw new Error('the playground was stopped');
      const started = Date.now();
      await publishEndedMinute(deployment, view, options.withhold);
      for (const [i, label] of labels.entries()) {
        await deployment.setHealthyHosts(
          i,
          view.groups.find((g) => g.label === label)?.liveHealthyHosts ?? 0,
        );
      }
      const joined = view.groups.filter((g) => !inAction.includes(g.label)).map((g) => g.label);
      if (joined.length > 0) {
        // A canary joins as a deploy adds it: to the forward action at weight 0 and to the config.
        for (const label of joined) await deployment.addToForwardAction(label);
        inAction = labels.filter((l) => inAction.includes(l) || joined.includes(l));
        Object.assign(process.env, await deployment.useConfigFor(inAction));
      }

      clockMs = view.nowMs;
      const result = (await withOutput(
        () => handler(SCHEDULED_EVENT),
        options.onHandlerOutput,
      )) as RunResult;
      const weights = await deployment.readWeights();
      const row = minuteRow(view, labels, weights, result);
      rows.push(row);
      options.onMinute?.(row, labels);

      if (options.speed && options.speed > 0) {
        const waitMs = 1000 / options.speed - (Date.now() - started);
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
      view = await simulation.next(view.groups.map((g) => weights[labels.indexOf(g.label)]));
    }
    options.signal?.removeEventListener('abort', stop);
    return { labels, config: deployment.config, rows, result: simulation.result() };
  } finally {
    await simulation?.stop();
    restoreEnv();
  }
}

/** Puts the minute that just ended into CloudWatch, timestamped at its start, as ELB would. */
async function publishEndedMinute(
  deployment: MotoDeployment,
  view: MinuteView,
  withhold: Withholding | undefined,
) {
  const action = deployment.config.actions[0];
  const MetricData = view.groups.flatMap((group) => {
    const datapoints = elbDatapoints(group.ended);
    if (!datapoints || isWithheld(withhold, group.label, view.minute - 1)) return [];
    const tg = action.targetGroups.find((t) => t.label === group.label)!;
    const Dimensions = [
      { Name: 'LoadBalancer', Value: tg.dimensions.LoadBalancer },
      { Name: 'TargetGroup', Value: tg.dimensions.TargetGroup },
    ];
    const Timestamp = new Date(group.ended!.startMs);
    return Object.entries(datapoints).map(([MetricName, Value]) => ({
      MetricName,
      Dimensions,
      Timestamp,
      Value,
    }));
  });
  if (MetricData.length === 0) return;
  await deployment.clients.cloudwatch.send(
    new PutMetricDataCommand({ Namespace: 'AWS/ApplicationELB', MetricData }),
  );
}

function minuteRow(
  view: MinuteView,
  labels: readonly string[],
  weights: number[],
  result: RunResult,
): MinuteRow {
  const ended = view.groups.map((g) => g.ended).filter((m) => m && !m.noData);
  const p99s = ended.map((m) => m!.latencyP99Ms).filter((p): p is number => p !== null);
  const report = result.actions[0];
  return {
    minute: view.minute,
    nowMs: view.nowMs,
    weights: labels.map((_, i) => weights[i]),
    written: result.written.length > 0,
    reason: report?.reason ?? '',
    requests: ended.reduce((sum, m) => sum + (m!.requestCount ?? 0), 0),
    errors: ended.reduce((sum, m) => sum + (m!.http5xxCount ?? 0), 0),
    slowestGroupP99Ms: p99s.length > 0 ? Math.max(...p99s) : null,
  };
}

/**
 * Loads the handler bundle the construct deploys. Both bundles (the pre-bundled one and a custom
 * policy's) export `createHandler` beside `handler`, so the clock can be the simulated one.
 */
function loadHandler(handlerDir: string, options: HandlerOptions): ControllerHandler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundle = require(path.join(handlerDir, 'index.js')) as {
    createHandler?: (options: HandlerOptions) => ControllerHandler;
  };
  if (typeof bundle.createHandler !== 'function') {
    throw new Error(
      `the handler bundle in ${handlerDir} exports no createHandler; rebuild it with "npm run build"`,
    );
  }
  return bundle.createHandler(options);
}

function setEnvironment(values: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** Runs `fn` with stdout going to `sink` line by line (the handler logs there, as in Lambda). */
async function withOutput<T>(
  fn: () => Promise<T>,
  sink: ((line: string) => void) | undefined,
): Promise<T> {
  const original = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.trim()) sink?.(line);
    return true;
  }) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = original;
  }
}
