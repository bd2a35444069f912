/**
 * The benchmark's path for the same run: the simulator calls the decision step in process, on
 * the observations the handler would build from the same datapoints (same visible window, average
 * latency only, a withheld minute as no data) and with the policy state kept as the handler keeps
 * it (JSON, handed back next run). Its weights must equal those the handler writes into moto.
 */
import { JsonValue, PolicyDefinition, ControllerConfig } from '../lambda/contract';
import { decide } from '../lambda/decide';
import { simulate, SimulationResult } from '../bench/sim/simulate';
import {
  CloudWatchMinutes,
  elbDatapoints,
  isWithheld,
  MinuteView,
  minuteViewOf,
  Withholding,
} from './minutes';
import { playgroundScenario } from './scenario';

export interface InProcessOptions {
  readonly scenarioId: string;
  readonly changeAtMinute?: number;
  readonly seed: number;
  readonly minutes: number;
  /** The configuration the handler runs with (its first action is the one steered). */
  readonly config: ControllerConfig;
  readonly policy: PolicyDefinition<any>;
  readonly withhold?: Withholding;
}

export interface InProcessRun {
  /** The weights in force after each minute's run, configuration order (0: not in the action). */
  readonly weights: number[][];
  readonly reasons: string[];
  readonly result: SimulationResult;
}

export function runInProcess(options: InProcessOptions): InProcessRun {
  const { config } = options;
  const fullAction = config.actions[0];
  const cloudWatch = new CloudWatchMinutes();
  const weights: number[][] = [];
  const reasons: string[] = [];
  let state: JsonValue | undefined;

  const decideMinute = (view: MinuteView): void => {
    // The handler's configuration names the groups in the forward action (a canary once it joins).
    const present = new Set(view.groups.map((g) => g.label));
    const action = {
      ...fullAction,
      targetGroups: fullAction.targetGroups.filter((tg) => present.has(tg.label)),
    };
    for (const group of view.groups) {
      const datapoints = elbDatapoints(group.ended);
      if (datapoints && !isWithheld(options.withhold, group.label, view.minute - 1)) {
        cloudWatch.put(group.label, group.ended!.startMs, datapoints);
      }
    }
    const observations = cloudWatch.observations(config, action, view.nowMs, view.groups);
    const decision = decide({
      nowMs: view.nowMs,
      actionId: action.id,
      loadBalancerType: action.loadBalancerType,
      targetGroups: observations,
      policy: options.policy,
      parameters: config.policy.parameters,
      state,
      alarms: {},
      guardrails: config.guardrails,
    });
    // The handler keeps the state as JSON in SSM, so it comes back through JSON.
    state = JSON.parse(JSON.stringify(decision.state)) as JsonValue;
    const live = observations.map((o) => o.currentWeight);
    const next =
      decision.write && decision.weights.some((w, i) => w !== live[i])
        ? [...decision.weights]
        : live;
    weights.push(fullAction.targetGroups.map((tg) => next[action.targetGroups.indexOf(tg)] ?? 0));
    reasons.push(decision.reason);
  };

  const result = simulate(
    playgroundScenario(options.scenarioId, options.changeAtMinute),
    {
      name: `${options.policy.name} (in process)`,
      run: (view) => {
        const minuteView = minuteViewOf(view);
        decideMinute(minuteView);
        const inForce = weights[weights.length - 1];
        return minuteView.groups.map(
          (g) => inForce[fullAction.targetGroups.findIndex((tg) => tg.label === g.label)],
        );
      },
    },
    { seed: options.seed, minutes: options.minutes, metricDelaySeconds: 0, windowMinutes: 1 },
  );
  return { weights, reasons, result };
}
