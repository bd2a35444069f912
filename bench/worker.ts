/** A benchmark worker thread: runs the simulations it is sent and posts their results back. */
import { parentPort } from 'node:worker_threads';
import type { ServiceDistribution } from './args';
import { createController } from './catalog';
import { OracleCache } from './sim/oracle';
import { scenarioById } from './sim/scenarios';
import { simulate } from './sim/simulate';

export interface BenchTask {
  readonly id: number;
  readonly scenario: string;
  readonly controller: string;
  readonly seed: number;
  readonly metricDelaySeconds: number;
  readonly serviceDistribution: ServiceDistribution;
}

// Oracle answers depend only on the true parameters, so runs in this thread share them.
const oracleCache = new OracleCache();

parentPort?.on('message', (task: BenchTask) => {
  try {
    const scenario = scenarioById(task.scenario);
    const result = simulate(scenario, createController(task.controller, scenario), {
      seed: task.seed,
      metricDelaySeconds: task.metricDelaySeconds,
      serviceDistribution: task.serviceDistribution,
      oracleCache,
    });
    parentPort!.postMessage({ id: task.id, result });
  } catch (error) {
    parentPort!.postMessage({
      id: task.id,
      error: error instanceof Error ? error.stack : String(error),
    });
  }
});
