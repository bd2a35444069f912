/**
 * Steps the simulator a minute at a time from async code: `next(weights)` puts the weights the
 * controller chose in force and returns the view of the following minute's controller run. The
 * simulation runs in a worker thread (see `sim-worker.ts`), bundled by esbuild on first use.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { bundleWorkerScript } from '../tools/bundle-worker';
import type { SimulationResult } from '../bench/sim/simulate';
import { MinuteView } from './minutes';
import type { SimWorkerData } from './sim-worker';
import { MAX_TARGET_GROUPS_PER_ACTION } from '../lambda/contract';

type Message =
  | { kind: 'minute'; view: MinuteView }
  | { kind: 'done'; result: SimulationResult }
  | { kind: 'error'; message: string };

export interface SteppedSimulation {
  /** The first minute's view; then, given the weights chosen for the last view, the next one. */
  next(weights?: readonly number[]): Promise<MinuteView | undefined>;
  /** The whole run's result, once `next` has returned undefined. */
  result(): SimulationResult;
  stop(): Promise<void>;
}

let bundled: Promise<string> | undefined;

function bundleWorker(): Promise<string> {
  bundled ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-sim-'));
    return bundleWorkerScript(
      path.join(__dirname, 'sim-worker.ts'),
      path.join(dir, 'sim-worker.cjs'),
    );
  })();
  return bundled;
}

export async function startSteppedSimulation(
  options: Omit<SimWorkerData, 'shared'>,
): Promise<SteppedSimulation> {
  const shared = new SharedArrayBuffer(4 * (1 + MAX_TARGET_GROUPS_PER_ACTION));
  const signal = new Int32Array(shared);
  const worker = new Worker(await bundleWorker(), { workerData: { ...options, shared } });

  const inbox: Message[] = [];
  let waiting: ((message: Message) => void) | undefined;
  const deliver = (message: Message) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(message);
    } else inbox.push(message);
  };
  worker.on('message', deliver);
  worker.on('error', (error) => deliver({ kind: 'error', message: error.message }));
  // A thread that ends before it is done (stopped, or out of memory) must not leave next() waiting.
  worker.on('exit', (code) =>
    deliver({ kind: 'error', message: `the simulation thread exited with code ${code}` }),
  );
  const receive = () =>
    new Promise<Message>((resolve) => {
      const queued = inbox.shift();
      if (queued) resolve(queued);
      else waiting = resolve;
    });

  let finished: SimulationResult | undefined;
  let started = false;
  return {
    async next(weights) {
      if (started) {
        if (!weights)
          throw new Error(
            'next() after the first call needs the weights chosen for the last minute',
          );
        signal.set(weights, 1);
        Atomics.store(signal, 0, 1);
        Atomics.notify(signal, 0);
      }
      started = true;
      const message = await receive();
      if (message.kind === 'error') throw new Error(`the simulation failed: ${message.message}`);
      if (message.kind === 'done') {
        finished = message.result;
        await worker.terminate();
        return undefined;
      }
      return message.view;
    },
    result() {
      if (!finished) throw new Error('the simulation has not finished yet');
      return finished;
    },
    async stop() {
      await worker.terminate();
    },
  };
}
