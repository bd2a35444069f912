/**
 * `npm run bench:robustness`: the built-in policies on scenarios SIMULATION.md does not list, since
 * the policies are judged on such scenarios too. Each changes one thing the listed ones hold fixed
 * (load level, fleet shape, how a fault arrives, autoscaling) and prints adaptive's whole-run p99
 * against the better of B1 and B3, the oracle and the delayed oracle, its settled ratio and error
 * rates; on the autoscaled ones, also adaptive with its cap kept through a fault
 * (`maxShareDuringFault` at `maxShare`). Seeds 1 and 2, metrics 120 s late; about 3.5 minutes on
 * 2 cores.
 */
import { builtInPolicies } from '../lambda/policies';
import { adaptiveParameters } from '../lambda/policies/adaptive';
import { createController } from './catalog';
import { median } from './scores';
import { policyController } from './sim/controllers';
import { OracleCache } from './sim/oracle';
import {
  EXAMPLE_FLEET,
  FleetGroup,
  fleetCapacity,
  GroupCondition,
  inChange,
  Scenario,
  scenarioById,
  thirdSpeedDuringChange,
} from './sim/scenarios';
import { simulate, SimulationResult } from './sim/simulate';

const F = EXAMPLE_FLEET;
const CAPACITY = fleetCapacity(F);

function scenario(
  id: string,
  title: string,
  groups: readonly FleetGroup[],
  load: number | ((t: number) => number),
  change: (i: number, t: number) => Partial<GroupCondition>,
  changeEndMinute = 120,
): Scenario {
  return {
    id,
    title,
    minutes: 180,
    changeStartMinute: 60,
    changeEndMinute,
    groups,
    loadAt: typeof load === 'number' ? () => load : load,
    conditionAt: (i, t) => ({
      hosts: groups[i].hosts,
      ratePerWorker: groups[i].ratePerWorker,
      errorRate: 0,
      ...change(i, t),
    }),
  };
}

const TWO: readonly FleetGroup[] = [F[0], F[2]];
const FIVE: readonly FleetGroup[] = [
  ...F,
  { label: 'E', hosts: 2, workersPerHost: 4, ratePerWorker: 10, joinMinute: 0 },
  { label: 'F', hosts: 6, workersPerHost: 1, ratePerWorker: 25, joinMinute: 0 },
];
const BIG: readonly FleetGroup[] = [
  { label: 'A', hosts: 20, workersPerHost: 4, ratePerWorker: 20, joinMinute: 0 },
  { label: 'B', hosts: 10, workersPerHost: 4, ratePerWorker: 30, joinMinute: 0 },
];
const base = 0.6 * CAPACITY;
const on = (group: number, condition: Partial<GroupCondition>) => (i: number, t: number) =>
  i === group && inChange(t) ? condition : {};

export const UNLISTED_SCENARIOS: readonly Scenario[] = [
  scenario('U1', 'steady at 0.8 of capacity', F, 0.8 * CAPACITY, () => ({})),
  scenario('U2', 'steady at 0.3 of capacity', F, 0.3 * CAPACITY, () => ({})),
  scenario('U3', 'B drifts to half its rate over the hour', F, base, (i, t) =>
    i === 1 && inChange(t) ? { ratePerWorker: 30 / (1 + (t - 3600) / 3600) } : {},
  ),
  scenario('U4', 'B serves at 1/1.5 of its rate', F, base, on(1, { ratePerWorker: 20 })),
  scenario('U5', 'B at 1/3 of its rate, 5 minutes on, 5 off', F, base, (i, t) =>
    i === 1 && inChange(t) && Math.floor((t - 3600) / 300) % 2 === 0 ? { ratePerWorker: 10 } : {},
  ),
  scenario(
    'U6',
    'A loses every host for 10 minutes',
    F,
    base,
    (i, t) => (i === 0 && t >= 3600 && t < 4200 ? { hosts: 0 } : {}),
    70,
  ),
  scenario('U7', 'C returns 5% fast 5xx', F, base, on(2, { errorRate: 0.05 })),
  scenario(
    'U8',
    'two groups (A, C); C at half its rate',
    TWO,
    0.6 * fleetCapacity(TWO),
    on(1, { ratePerWorker: 8 }),
  ),
  scenario(
    'U9',
    'five groups; E at 1/3 of its rate',
    FIVE,
    0.6 * fleetCapacity(FIVE),
    on(3, { ratePerWorker: 10 / 3 }),
  ),
  scenario(
    'U10',
    'load steps to 1.3× and stays',
    F,
    (t) => base * (t >= 3600 ? 1.3 : 1),
    () => ({}),
  ),
  scenario('U11', 'B slow (1/3) from the start, well from minute 60', F, base, (i, t) =>
    i === 1 && t < 3600 ? { ratePerWorker: 10 } : {},
  ),
  scenario('U12', 'B at 1/3 of its rate and C 50% fast 5xx at once', F, base, (i, t) => {
    if (!inChange(t)) return {};
    return i === 1 ? { ratePerWorker: 10 } : i === 2 ? { errorRate: 0.5 } : {};
  }),
  scenario(
    'U13',
    'two large pooled groups; B at half its rate',
    BIG,
    0.6 * fleetCapacity(BIG),
    on(1, { ratePerWorker: 15 }),
  ),
  scenario('U14', 'C returns only 5xx', F, base, on(2, { errorRate: 1 })),
  scenario('U15', 'B loses 2 of its 3 hosts', F, base, on(1, { hosts: 1 })),
];

const s10 = scenarioById('S10');

/** A listed scenario with target-tracking autoscaling as S10 has it, and its own id and title. */
function autoscaled(id: string, title: string, listed: Scenario): Scenario {
  return { ...listed, id, title, autoscaling: s10.autoscaling };
}

export const AUTOSCALED_SCENARIOS: readonly Scenario[] = [
  autoscaled('U16', 'S1 with autoscaling', scenarioById('S1')),
  autoscaled('U17', 'S3 (flash crowd) with autoscaling', scenarioById('S3')),
  autoscaled('U18', 'S5 (C fails half its requests) with autoscaling', scenarioById('S5')),
  {
    ...s10,
    id: 'U19',
    title: 'S10, then A at half its rate for minutes 90–100, while B is still slow',
    conditionAt: (i, t) => {
      const c = s10.conditionAt(i, t);
      return i === 0 && t >= 90 * 60 && t < 100 * 60 ? { ...c, ratePerWorker: 10 } : c;
    },
  },
  {
    ...s10,
    id: 'U20',
    title: 'S10 with A, not B, at a third of its rate',
    conditionAt: thirdSpeedDuringChange(0),
  },
];

const OTHERS = ['capacity', 'failover', 'B1', 'B3', 'B2', 'B2d'];
const HEDGED = 'adaptive, cap kept through a fault';

function main(): void {
  const seeds = [1, 2];
  const cache = new OracleCache();
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  console.log(
    'scenario  adaptive p99 ms  ÷ min(B1,B3)  ÷ B2  ÷ B2d  settled ÷ B2  errors (B2d, B3)' +
      '  | capacity  failover  B1  B3  B2  B2d',
  );
  const hedge = { maxShareDuringFault: adaptiveParameters.parse({}).maxShare };
  for (const s of [...UNLISTED_SCENARIOS, ...AUTOSCALED_SCENARIOS]) {
    const runs: Record<string, SimulationResult[]> = {};
    for (const name of ['adaptive', ...OTHERS]) {
      runs[name] = seeds.map((seed) =>
        simulate(s, createController(name, s), { seed, oracleCache: cache }),
      );
    }
    if (s.autoscaling) {
      runs[HEDGED] = seeds.map((seed) =>
        simulate(s, policyController(builtInPolicies.adaptive, hedge), {
          seed,
          oracleCache: cache,
        }),
      );
    }
    const p99 = (name: string) => median(runs[name].map((r) => r.p99Ms));
    const errors = (name: string) => median(runs[name].map((r) => r.errors / r.requests));
    const best = Math.min(p99('B1'), p99('B3'));
    const scores = (name: string) => {
      const settled = median(runs[name].map((r, k) => r.settledP99Ms / runs.B2[k].settledP99Ms));
      return [
        p99(name).toFixed(0).padStart(6),
        (p99(name) / best).toFixed(2),
        (p99(name) / p99('B2')).toFixed(2),
        (p99(name) / p99('B2d')).toFixed(2),
        settled.toFixed(2),
        `${pct(errors(name))} (${pct(errors('B2d'))}, ${pct(errors('B3'))})`,
      ].join('  ');
    };
    console.log(`${s.id.padEnd(4)} ${s.title}`);
    console.log(
      `          ${scores('adaptive')}  | ${OTHERS.map((n) => p99(n).toFixed(0)).join('  ')}`,
    );
    if (runs[HEDGED]) console.log(`          ${scores(HEDGED)}  (${HEDGED})`);
  }
}

if (require.main === module) main();
