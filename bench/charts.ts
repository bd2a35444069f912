/**
 * One SVG chart per scenario: each group's share of traffic and the minute p99 over time, the
 * policy against the oracle, drawn with vega-lite and rendered headless by vega.
 */
import { SimulationResult } from './sim/simulate';

interface Point {
  readonly minute: number;
  readonly series: string;
  readonly value: number;
}

/** Builds the vega-lite spec for one scenario from first-seed runs of the policy, B2 and B1. */
export function chartSpec(
  title: string,
  policy: SimulationResult,
  oracle: SimulationResult,
  capacity?: SimulationResult,
): object {
  const shares: Point[] = [];
  policy.labels.forEach((label, g) => {
    policy.shares.forEach((s, minute) =>
      shares.push({ minute, series: `${label} ${policy.controller}`, value: s[g] }),
    );
    oracle.shares.forEach((s, minute) =>
      shares.push({ minute, series: `${label} oracle`, value: s[g] }),
    );
  });
  const latency: Point[] = [];
  for (const run of [policy, oracle, capacity]) {
    if (!run) continue;
    const name =
      run.controller === 'B2'
        ? 'oracle (B2)'
        : run.controller === 'B1'
          ? 'static capacity (B1)'
          : run.controller;
    run.minuteP99Ms.forEach((value, minute) => {
      if (value !== null) latency.push({ minute, series: name, value });
    });
  }
  const x = { field: 'minute', type: 'quantitative', title: 'minute' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    vconcat: [
      {
        width: 640,
        height: 180,
        title: 'share of traffic per target group (dashed: oracle)',
        data: { values: shares },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'share', scale: { domain: [0, 1] } },
          color: { field: 'group', type: 'nominal', title: 'group' },
          strokeDash: {
            field: 'who',
            type: 'nominal',
            title: 'weights',
            sort: ['policy', 'oracle'],
          },
          detail: { field: 'series' },
        },
        transform: [
          { calculate: "split(datum.series, ' ')[0]", as: 'group' },
          { calculate: "split(datum.series, ' ')[1] == 'oracle' ? 'oracle' : 'policy'", as: 'who' },
        ],
      },
      {
        width: 640,
        height: 180,
        title: 'p99 of each minute (ms, log scale)',
        data: { values: latency },
        mark: { type: 'line', strokeWidth: 1.2 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'p99 ms', scale: { type: 'log' } },
          color: { field: 'series', type: 'nominal', title: 'controller' },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

/** Renders a vega-lite spec to SVG text. */
export async function renderSvg(spec: object): Promise<string> {
  // Both packages are ESM only; a dynamic import keeps this file loadable as CommonJS.
  const vegaLite = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  return view.toSVG();
}
