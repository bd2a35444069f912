/**
 * The real handler against moto_server: load balancers built in moto, metrics put into moto's
 * CloudWatch, weights read back from moto. moto accepts weights AWS rejects, so what is checked
 * here is the controller's own output. moto answers percentiles with an internal error, so these
 * runs also show that a failed p99 read costs only p99.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Logger } from '@aws-lambda-powertools/logger';
import type { createHandler as CreateHandler, RunResult } from '../../lambda/handler';
import { metricsWindow } from '../../lambda/read-metrics';
import { MotoServer, startMotoServer } from '../../tools/moto-server';
import { createLoadBalancer, motoClients, motoEnv, putElbMinutes, weightsInMoto } from './moto-env';

const ROOT = path.join(__dirname, '..', '..');
const NOW_MS = Math.floor(Date.now() / 60_000) * 60_000 + 15_000;
const quietLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

let moto: MotoServer;
let stdoutWrite: jest.SpyInstance;

beforeAll(async () => {
  moto = await startMotoServer();
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  // EMF metric lines go to stdout; keep the test output readable.
  stdoutWrite = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => stdoutWrite.mockRestore());

function freshHandlerModule(): { createHandler: typeof CreateHandler } {
  let mod: { createHandler: typeof CreateHandler } | undefined;
  jest.isolateModules(() => {
    mod = require('../../lambda/handler');
  });
  return mod!;
}

function handlerFor(config: unknown, now = () => NOW_MS) {
  const { createHandler } = freshHandlerModule();
  return createHandler({
    clients: motoClients(moto.endpoint),
    now,
    loadConfigText: async () => JSON.stringify(config),
    logger: quietLogger(),
  });
}

const visibleMinutes = () => metricsWindow(NOW_MS, 2, 5).minuteStartsMs;

describe('an ALB with three target groups, a listener and a rule', () => {
  const groups = [
    { label: 'on-demand', healthyHosts: 2 },
    { label: 'spot', healthyHosts: 2 },
    { label: 'canary', healthyHosts: 0 },
  ];

  async function albWithTraffic() {
    const lb = await createLoadBalancer(moto.endpoint, 'application', groups);
    await putElbMinutes(moto.endpoint, lb, 'application', visibleMinutes(), [
      { requestCount: 600, latencySeconds: 0.05, healthyHosts: 2 },
      { requestCount: 600, latencySeconds: 0.06, healthyHosts: 2 },
      { requestCount: 600, latencySeconds: 0.07, healthyHosts: 0 },
    ]);
    return lb;
  }

  it('writes weights that drain the group without healthy targets on both the listener and the rule', async () => {
    const lb = await albWithTraffic();

    const result = (await handlerFor(lb.config)({})) as RunResult;

    expect(result.written).toEqual(['web-default', 'web-api']);
    for (const which of ['listener', 'rule'] as const) {
      const [onDemand, spot, canary] = await weightsInMoto(moto.endpoint, lb, which);
      expect(canary).toBe(0);
      // Integer weights split an even share to within one.
      expect(Math.abs(onDemand - spot)).toBeLessThanOrEqual(1);
      expect(onDemand).toBeGreaterThan(0);
    }
    expect(result.warnings.join(' ')).toMatch(/p99 latency not read/);
  });

  it('keeps the stickiness setting of the forward action it rewrites', async () => {
    const lb = await albWithTraffic();
    await handlerFor(lb.config)({});

    const { elbv2 } = motoClients(moto.endpoint);
    const { DescribeListenersCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
    const listener = await elbv2.send(
      new DescribeListenersCommand({ ListenerArns: [lb.listenerArn] }),
    );
    const forward = listener.Listeners![0].DefaultActions![0];
    expect(forward.ForwardConfig?.TargetGroupStickinessConfig).toEqual({
      Enabled: true,
      DurationSeconds: 120,
    });
    expect(forward.TargetGroupArn).toBeUndefined();
  });

  it('keeps the last written weights in SSM, where a fresh module load finds them', async () => {
    const lb = await albWithTraffic();
    await handlerFor(lb.config)({});
    const written = await weightsInMoto(moto.endpoint, lb, 'listener');

    // A deploy puts the template's weights back; a fresh instance must recognise and undo it.
    const { elbv2 } = motoClients(moto.endpoint);
    await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: lb.listenerArn,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: lb.targetGroupArns.map((TargetGroupArn) => ({
                TargetGroupArn,
                Weight: 10,
              })),
              TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 120 },
            },
          },
        ],
      }),
    );
    const result = (await handlerFor(lb.config, () => NOW_MS + 60_000)({})) as RunResult;

    expect(result.actions.find((a) => a.actionId === 'web-default')?.mode).toBe(
      'restore-after-deploy',
    );
    expect(await weightsInMoto(moto.endpoint, lb, 'listener')).toEqual(written);
  });

  it('keeps a manual override across a fresh module load until it expires', async () => {
    const lb = await albWithTraffic();
    await handlerFor(lb.config)({
      command: 'set-weights',
      actionId: 'web-default',
      weights: { 'on-demand': 900, spot: 100 },
      durationMinutes: 10,
    });
    expect(await weightsInMoto(moto.endpoint, lb, 'listener')).toEqual([900, 100, 0]);

    const during = (await handlerFor(lb.config, () => NOW_MS + 5 * 60_000)({})) as RunResult;
    expect(during.actions.find((a) => a.actionId === 'web-default')).toMatchObject({
      mode: 'override',
      outcome: 'unchanged',
    });
    expect(await weightsInMoto(moto.endpoint, lb, 'listener')).toEqual([900, 100, 0]);

    const after = (await handlerFor(lb.config, () => NOW_MS + 11 * 60_000)({})) as RunResult;
    expect(after.actions.find((a) => a.actionId === 'web-default')?.mode).toBe('steer');
  });

  it('respects weights someone else set and reports them as an outside change', async () => {
    const lb = await albWithTraffic();
    await handlerFor(lb.config)({});
    const { elbv2 } = motoClients(moto.endpoint);
    await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: lb.listenerArn,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: lb.targetGroupArns.map((TargetGroupArn, i) => ({
                TargetGroupArn,
                Weight: [300, 700, 0][i],
              })),
            },
          },
        ],
      }),
    );

    const result = (await handlerFor(lb.config, () => NOW_MS + 60_000)({})) as RunResult;

    expect(result.actions.find((a) => a.actionId === 'web-default')).toMatchObject({
      mode: 'outside-change',
      outcome: 'unchanged',
    });
    expect(await weightsInMoto(moto.endpoint, lb, 'listener')).toEqual([300, 700, 0]);
    const state = await motoClients(moto.endpoint).ssm.send(
      new GetParameterCommand({ Name: '/weighted-balancer/test/state' }),
    );
    expect(
      JSON.parse(state.Parameter!.Value!).actions['web-default'].outsideChange.weights,
    ).toEqual([300, 700, 0]);
  });

  it('writes nothing in a dry run', async () => {
    const lb = await albWithTraffic();

    const result = (await handlerFor({ ...lb.config, dryRun: true })({})) as RunResult;

    expect(result.actions.map((a) => a.outcome)).toEqual(['dry-run', 'dry-run']);
    expect(await weightsInMoto(moto.endpoint, lb, 'listener')).toEqual([10, 10, 10]);
    expect(await weightsInMoto(moto.endpoint, lb, 'rule')).toEqual([10, 10, 10]);
  });

  it('runs as the bundled dist/handler/index.js with AWS_ENDPOINT_URL pointing at moto', async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handler.mjs')], {
      cwd: ROOT,
    });
    const lb = await albWithTraffic();
    const script = `require(${JSON.stringify(path.join(ROOT, 'dist', 'handler', 'index.js'))}).handler({ source: 'aws.events' }).then((r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'))`;

    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...motoEnv(moto.endpoint),
        CONTROLLER_CONFIG: JSON.stringify(lb.config),
        CONTROLLER_READ_PERCENTILES: 'false',
      },
      encoding: 'utf8',
    });

    const result = JSON.parse(
      out
        .split('\n')
        .find((l) => l.startsWith('RESULT '))!
        .slice(7),
    ) as RunResult;
    expect(result.written).toEqual(['web-default', 'web-api']);
    const [onDemand, spot, canary] = await weightsInMoto(moto.endpoint, lb, 'rule');
    expect([Math.abs(onDemand - spot) <= 1, onDemand > 0, canary]).toEqual([true, true, 0]);
    expect(out).toMatch(
      /"_aws":\{"Timestamp":\d+,"CloudWatchMetrics":\[\{"Namespace":"WeightedBalancerTest"/,
    );
  });
});

describe('an NLB with two weighted target groups', () => {
  it('steers from health alone and drains the group without healthy targets', async () => {
    const lb = await createLoadBalancer(moto.endpoint, 'network', [
      { label: 'blue', healthyHosts: 1 },
      { label: 'green', healthyHosts: 0 },
    ]);
    await putElbMinutes(moto.endpoint, lb, 'network', visibleMinutes(), [
      { healthyHosts: 1 },
      { healthyHosts: 0 },
    ]);

    const result = (await handlerFor(lb.config)({})) as RunResult;

    expect(result.written).toEqual(['net-default']);
    const [blue, green] = await weightsInMoto(moto.endpoint, lb, 'listener');
    expect(green).toBe(0);
    expect(blue).toBeGreaterThan(0);
  });
});
