/**
 * The playground against moto_server: the handler bundle the construct deploys steers a simulated
 * fleet through moto, and the weights it writes must equal, minute by minute, those the decision
 * step chooses in process for the same seed, policy and datapoints. S4 is played with its change
 * (B slows to a third) moved to minute 5, so 15 simulated minutes see it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { policyFromModule } from '../../lambda/custom-policy';
import { resolvePolicy } from '../../lambda/policies';
import { MotoServer, startMotoServer } from '../../tools/moto-server';
import { Blueprint, disposeBlueprint, synthesizeBlueprint } from '../../playground/blueprint';
import { runInProcess } from '../../playground/in-process';
import { Withholding } from '../../playground/minutes';
import { PlaygroundRun, runPlayground } from '../../playground/run';
import { playgroundScenario, startingWeights } from '../../playground/scenario';

const ROOT = path.join(__dirname, '..', '..');
const POLICY_FILE = path.join(__dirname, 'fixtures', 'latency-policy.ts');
const RUN = { scenarioId: 'S4', changeAtMinute: 5, seed: 7, minutes: 15 } as const;
const scenario = playgroundScenario(RUN.scenarioId, RUN.changeAtMinute);
const groups = scenario.groups.map((g, i) => ({
  label: g.label,
  weight: startingWeights(scenario)[i],
}));
// S8's bad canary D joins at minute 5 instead of 30.
const CANARY_RUN = { scenarioId: 'S8', changeAtMinute: 35, seed: 3, minutes: 12 } as const;

let moto: MotoServer;
let customBlueprint: Blueprint;

beforeAll(async () => {
  moto = await startMotoServer();
  customBlueprint = synthesizeBlueprint({ groups, policyFile: POLICY_FILE });
}, 180_000);
afterAll(async () => {
  await moto?.stop();
  if (customBlueprint) disposeBlueprint(customBlueprint);
});

let bundled = false;
/** The pre-bundled handler from the current source, as `npm run build` makes it. */
function bundleHandler(): void {
  if (bundled) return;
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handler.mjs')], { cwd: ROOT });
  bundled = true;
}

async function play(
  blueprint: Blueprint,
  withhold?: Withholding,
  log?: string[],
  run: typeof RUN | typeof CANARY_RUN = RUN,
): Promise<PlaygroundRun> {
  await moto.reset();
  return runPlayground({
    ...run,
    blueprint,
    endpoint: moto.endpoint,
    withhold,
    onHandlerOutput: (line) => log?.push(line),
  });
}

const weightsOf = (run: PlaygroundRun) => run.rows.map((row) => row.weights);
const distinct = (sequence: number[][]) => new Set(sequence.map((w) => w.join())).size;

describe('a custom policy file, bundled by the construct at synth', () => {
  it('runs from the function asset the construct synthesizes, as policy "custom"', () => {
    expect(path.dirname(customBlueprint.handlerDir)).toBe(customBlueprint.outdir);
    expect(fs.readFileSync(path.join(customBlueprint.handlerDir, 'index.js'), 'utf8')).toContain(
      'shares follow healthy hosts over smoothed latency',
    );
  });

  it('writes into moto the weights the in-process decision step chooses, every minute', async () => {
    const played = await play(customBlueprint);
    const policy = policyFromModule(require(POLICY_FILE));
    const inProcess = runInProcess({ ...RUN, config: played.config, policy });

    expect(played.config.policy.name).toBe('custom');
    expect(weightsOf(played)).toEqual(inProcess.weights);
    // The sequence moves (a steady one would match trivially): the slowed B loses share.
    expect(distinct(weightsOf(played))).toBeGreaterThanOrEqual(5);
    const bShare = (w: number[]) => w[1] / (w[0] + w[1] + w[2]);
    expect(bShare(played.rows[14].weights)).toBeLessThan(bShare(played.rows[4].weights) / 2);
  });

  it("changes the sequence on both paths alike when B's datapoints are withheld for minutes 3 to 7", async () => {
    const withhold = { label: 'B', fromMinute: 3, toMinute: 8 };
    const log: string[] = [];
    const played = await play(customBlueprint, withhold, log);
    const policy = policyFromModule(require(POLICY_FILE));
    const inProcessWithheld = runInProcess({ ...RUN, config: played.config, policy, withhold });
    const inProcessFull = runInProcess({ ...RUN, config: played.config, policy });

    expect(weightsOf(played)).toEqual(inProcessWithheld.weights);
    expect(weightsOf(played)).not.toEqual(inProcessFull.weights);

    // At minute 10 the handler's window is minutes 3 to 7: it saw no datapoint of B in moto.
    const decisions = log
      .filter((line) => line.includes('"message":"decision"'))
      .map((line) => JSON.parse(line));
    const seenAt10 = decisions[10].targetGroups as { label: string; minutesWithData: number }[];
    expect(seenAt10.map((g) => [g.label, g.minutesWithData])).toEqual([
      ['A', 5],
      ['B', 0],
      ['C', 5],
    ]);
  });
});

describe('a built-in policy from the pre-bundled handler', () => {
  it('writes into moto the weights the in-process decision step chooses, every minute', async () => {
    bundleHandler();
    const blueprint = synthesizeBlueprint({ groups, policy: 'adaptive' });
    try {
      const played = await play(blueprint);
      const inProcess = runInProcess({
        ...RUN,
        config: played.config,
        policy: resolvePolicy('adaptive'),
      });

      expect(blueprint.handlerDir).toContain(blueprint.outdir);
      expect(played.config.policy.name).toBe('adaptive');
      expect(weightsOf(played)).toEqual(inProcess.weights);
      expect(distinct(weightsOf(played))).toBeGreaterThanOrEqual(3);
    } finally {
      disposeBlueprint(blueprint);
    }
  });
});

describe('a canary scenario', () => {
  it('adds the canary to the forward action when it joins, and both paths steer it alike', async () => {
    bundleHandler();
    const canaryScenario = playgroundScenario(CANARY_RUN.scenarioId, CANARY_RUN.changeAtMinute);
    const blueprint = synthesizeBlueprint({
      groups: canaryScenario.groups.map((g, i) => ({
        label: g.label,
        weight: startingWeights(canaryScenario)[i],
      })),
      policy: 'canary',
      policyParameters: { canaryTargetGroup: 'D', baselineTargetGroup: 'A' },
    });
    try {
      const played = await play(blueprint, undefined, undefined, CANARY_RUN);
      const inProcess = runInProcess({
        ...CANARY_RUN,
        config: played.config,
        policy: resolvePolicy('canary'),
      });

      // Four groups make a configuration too large for the environment: it is read from SSM.
      expect(blueprint.configParameterId).toBeDefined();
      expect(played.labels).toEqual(['A', 'B', 'C', 'D']);
      expect(weightsOf(played)).toEqual(inProcess.weights);
      expect(played.rows.slice(0, 5).map((row) => row.weights[3])).toEqual([0, 0, 0, 0, 0]);
      expect(played.rows.some((row) => row.weights[3] > 0)).toBe(true);
    } finally {
      disposeBlueprint(blueprint);
    }
  });
});
