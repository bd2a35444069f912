/**
 * The simulator on a thread of its own, stepped a minute at a time: when its controller runs, it
 * posts the minute's view and blocks until the main thread, which asks the real handler through
 * moto, puts the next weights in shared memory. The simulation itself runs unchanged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { simulate } from '../bench/sim/simulate';
import { minuteViewOf } from './minutes';
import { playgroundScenario } from './scenario';

export interface SimWorkerData {
  readonly scenarioId: string;
  readonly changeAtMinute?: number;
  readonly seed: number;
  readonly minutes: number;
  /** Int32 slot 0: 1 when weights are ready; slots 1..: the weights. */
  readonly shared: SharedArrayBuffer;
}

const data = workerData as SimWorkerData;
const signal = new Int32Array(data.shared);

try {
  const scenario = playgroundScenario(data.scenarioId, data.changeAtMinute);
  const result = simulate(
    scenario,
    {
      name: 'playground',
      run: (view) => {
        parentPort!.postMessage({ kind: 'minute', view: minuteViewOf(view) });
        Atomics.wait(signal, 0, 0);
        const weights = Array.from(signal.subarray(1, 1 + view.currentWeights.length));
        Atomics.store(signal, 0, 0);
        return weights;
      },
    },
    // No delay and a 1-minute window: each run sees the minute that just ended, to publish.
    { seed: data.seed, minutes: data.minutes, metricDelaySeconds: 0, windowMinutes: 1 },
  );
  parentPort!.postMessage({ kind: 'done', result });
} catch (error) {
  parentPort!.postMessage({
    kind: 'error',
    message: error instanceof Error ? error.message : String(error),
  });
}
