/**
 * The example fleet and the benchmark's scenarios: what load arrives and how each target group
 * behaves, second by second. Policies never see any of this; only the simulator does.
 */

export interface FleetGroup {
  readonly label: string;
  readonly hosts: number;
  readonly workersPerHost: number;
  /** Requests per second one worker serves, on average. */
  readonly ratePerWorker: number;
  /** The minute the group joins the forward action (canary groups); 0 for the starting fleet. */
  readonly joinMinute: number;
}

/** How one target group behaves during one second. */
export interface GroupCondition {
  /** Hosts in service, before any autoscaling. */
  readonly hosts: number;
  readonly ratePerWorker: number;
  /** Fraction of requests that fail fast (5 ms, HTTP 5xx). */
  readonly errorRate: number;
}

export interface AutoscalingSpec {
  readonly targetUtilisation: number;
  /** Minutes the scale-out alarm must breach before hosts launch. */
  readonly scaleOutMinutes: number;
  /** Minutes from launch to in service. */
  readonly warmupMinutes: number;
  /** Minutes the scale-in alarm must breach before hosts are removed. */
  readonly scaleInMinutes: number;
  /** Largest fleet as a multiple of the starting hosts. */
  readonly maxFactor: number;
}

export interface CanarySpec {
  readonly canaryLabel: string;
  readonly baselineLabel: string;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly minutes: number;
  readonly changeStartMinute: number;
  readonly changeEndMinute: number;
  readonly groups: readonly FleetGroup[];
  /** Arrival rate in requests per second at second t. */
  readonly loadAt: (t: number) => number;
  readonly conditionAt: (groupIndex: number, t: number) => GroupCondition;
  readonly autoscaling?: AutoscalingSpec;
  /** Set when the scenario delivers a canary group: the canary policy steers it. */
  readonly canary?: CanarySpec;
  /** Seeds of its own, instead of the benchmark's. */
  readonly seeds?: readonly number[];
}

export const EXAMPLE_FLEET: readonly FleetGroup[] = [
  { label: 'A', hosts: 4, workersPerHost: 2, ratePerWorker: 20, joinMinute: 0 },
  { label: 'B', hosts: 3, workersPerHost: 2, ratePerWorker: 30, joinMinute: 0 },
  { label: 'C', hosts: 5, workersPerHost: 1, ratePerWorker: 16, joinMinute: 0 },
];

const CANARY_JOIN_MINUTE = 30;
const CANARY_FLEET: readonly FleetGroup[] = [
  ...EXAMPLE_FLEET,
  { ...EXAMPLE_FLEET[0], label: 'D', joinMinute: CANARY_JOIN_MINUTE },
];

export function fleetCapacity(fleet: readonly FleetGroup[]): number {
  return fleet
    .filter((g) => g.joinMinute === 0)
    .reduce((sum, g) => sum + g.hosts * g.workersPerHost * g.ratePerWorker, 0);
}

const CAPACITY = fleetCapacity(EXAMPLE_FLEET);
const BASE_LOAD = 0.6 * CAPACITY;
const CHANGE_START = 60 * 60;
const CHANGE_END = 120 * 60;

/** Whether second t falls in the change, minutes 60 to 120. */
export const inChange = (t: number): boolean => t >= CHANGE_START && t < CHANGE_END;

function nominal(fleet: readonly FleetGroup[]): (i: number, t: number) => GroupCondition {
  return (i) => ({ hosts: fleet[i].hosts, ratePerWorker: fleet[i].ratePerWorker, errorRate: 0 });
}

/** The example fleet with one group serving at a third of its rate during the change. */
export function thirdSpeedDuringChange(slowedGroup: number) {
  return (i: number, t: number): GroupCondition => {
    const group = EXAMPLE_FLEET[i];
    const slowed = i === slowedGroup && inChange(t);
    return {
      hosts: group.hosts,
      ratePerWorker: group.ratePerWorker / (slowed ? 3 : 1),
      errorRate: 0,
    };
  };
}

const degradeB = thirdSpeedDuringChange(1);

function base(id: string, title: string): Omit<Scenario, 'loadAt' | 'conditionAt'> {
  return {
    id,
    title,
    minutes: 180,
    changeStartMinute: 60,
    changeEndMinute: 120,
    groups: EXAMPLE_FLEET,
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    ...base('S1', 'steady'),
    loadAt: () => BASE_LOAD,
    conditionAt: nominal(EXAMPLE_FLEET),
  },
  {
    ...base('S2', 'diurnal'),
    loadAt: (t) => CAPACITY * (0.45 + 0.3 * Math.sin((Math.PI * t) / (180 * 60)) ** 2),
    conditionAt: nominal(EXAMPLE_FLEET),
  },
  {
    ...base('S3', 'flash crowd'),
    // A one-minute ramp to 1.6× the load, then an exponential decay back with τ = 10 minutes.
    loadAt: (t) => {
      if (t < CHANGE_START) return BASE_LOAD;
      const minutes = (t - CHANGE_START) / 60;
      const surge = minutes < 1 ? minutes : Math.exp(-(minutes - 1) / 10);
      return BASE_LOAD * (1 + 0.6 * surge);
    },
    conditionAt: nominal(EXAMPLE_FLEET),
  },
  {
    ...base('S4', 'degrade: B serves at a third of its rate'),
    loadAt: () => BASE_LOAD,
    conditionAt: degradeB,
  },
  {
    ...base('S5', 'failing group: C returns 50% fast 5xx'),
    loadAt: () => BASE_LOAD,
    conditionAt: (i, t) => ({
      hosts: EXAMPLE_FLEET[i].hosts,
      ratePerWorker: EXAMPLE_FLEET[i].ratePerWorker,
      errorRate: i === 2 && inChange(t) ? 0.5 : 0,
    }),
  },
  {
    ...base('S6', 'host loss: A loses half its hosts for 8 minutes'),
    changeEndMinute: 68,
    loadAt: () => BASE_LOAD,
    conditionAt: (i, t) => {
      const lost = i === 0 && t >= CHANGE_START && t < CHANGE_START + 8 * 60;
      const group = EXAMPLE_FLEET[i];
      return {
        hosts: lost ? group.hosts / 2 : group.hosts,
        ratePerWorker: group.ratePerWorker,
        errorRate: 0,
      };
    },
  },
  {
    ...base('S7', 'good canary: D, like A, joins at minute 30'),
    groups: CANARY_FLEET,
    canary: { canaryLabel: 'D', baselineLabel: 'A' },
    loadAt: () => BASE_LOAD,
    conditionAt: nominal(CANARY_FLEET),
  },
  {
    ...base('S8', 'bad canary: D has 2% errors and 30% slower service'),
    groups: CANARY_FLEET,
    canary: { canaryLabel: 'D', baselineLabel: 'A' },
    loadAt: () => BASE_LOAD,
    conditionAt: (i) => {
      const group = CANARY_FLEET[i];
      const bad = group.label === 'D';
      return {
        hosts: group.hosts,
        ratePerWorker: bad ? group.ratePerWorker / 1.3 : group.ratePerWorker,
        errorRate: bad ? 0.02 : 0,
      };
    },
  },
  {
    ...base('S9', 'A/A canary: D identical to A, 20 seeds'),
    groups: CANARY_FLEET,
    canary: { canaryLabel: 'D', baselineLabel: 'A' },
    seeds: Array.from({ length: 20 }, (_, k) => 901 + k),
    loadAt: () => BASE_LOAD,
    conditionAt: nominal(CANARY_FLEET),
  },
  {
    ...base('S10', 'coupling: S4 with target-tracking autoscaling'),
    loadAt: () => BASE_LOAD,
    conditionAt: degradeB,
    autoscaling: {
      targetUtilisation: 0.5,
      scaleOutMinutes: 3,
      warmupMinutes: 5,
      scaleInMinutes: 15,
      maxFactor: 3,
    },
  },
];

export function scenarioById(id: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (!scenario) {
    throw new Error(
      `scenario is "${id}"; it must be one of ${SCENARIOS.map((s) => s.id).join(', ')}`,
    );
  }
  return scenario;
}
