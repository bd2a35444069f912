import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { buildExampleApp } from '../../bin/stacks';
import { projectApp } from '../lib/app-helpers';

interface Acknowledgement {
  readonly rule: string;
  readonly path: string;
  readonly isResource: boolean;
  readonly reason: string;
}

/** Every AwsSolutions rule acknowledged anywhere in the app, with where and why. */
function acknowledgements(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct: IConstruct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([key, reason]) => ({ rule: key.replace(/^annotation::/i, ''), reason }))
      .filter(({ rule }) => rule.startsWith('AwsSolutions-'))
      .map(({ rule, reason }) => ({
        rule,
        reason,
        path: construct.node.path,
        isResource: CfnResource.isCfnResource(construct),
      })),
  );
}

/** The pack's findings as they would be with no acknowledgement at all. */
function unacknowledgedFindings(app: App): Set<string> {
  const pack = new AwsSolutionsChecks(app);
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  const report = pack.validateScope(app);
  return new Set(
    report.violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource: any) => `${violation.ruleName} ${resource.constructPath}`,
      ),
    ),
  );
}

describe("cdk-nag's AwsSolutions pack on the example app", () => {
  it('reports no unacknowledged findings when the app synthesizes', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'weighted-balancer-nag-'));
    try {
      const app = projectApp({ outdir });
      buildExampleApp(app);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      let failure: unknown;
      try {
        app.synth();
      } catch (error) {
        failure = error;
      }
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
      const findings = report.pluginReports.flatMap((plugin: any) =>
        plugin.violations.flatMap((violation: any) =>
          violation.violatingConstructs.map((c: any) => `${violation.ruleName} ${c.constructPath}`),
        ),
      );
      expect(findings).toEqual([]);
      expect(failure).toBeUndefined();
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('acknowledges each finding on the one resource it concerns, with a reason', () => {
    const app = projectApp();
    buildExampleApp(app);
    const acknowledged = acknowledgements(app);

    expect(acknowledged.length).toBeGreaterThan(0);
    for (const ack of acknowledged) {
      expect(ack).toEqual(
        expect.objectContaining({
          isResource: true,
          // A rule, or one finding of a rule, such as IAM5's wildcard on "Resource::*".
          rule: expect.stringMatching(/^AwsSolutions-[A-Z]+\d+(\[[^\]]+\])?$/),
        }),
      );
      expect(ack.reason.length).toBeGreaterThan(30);
    }
  });

  it('acknowledges only findings the pack really reports', () => {
    const app = projectApp();
    buildExampleApp(app);
    const raw = unacknowledgedFindings(app);

    const stale = acknowledgements(app).filter((ack) => !raw.has(`${ack.rule} ${ack.path}`));
    expect(stale).toEqual([]);
  });

  it('acknowledges exactly these rules on these resources', () => {
    const app = projectApp();
    buildExampleApp(app);

    expect(
      acknowledgements(app)
        .map((ack) => `${ack.rule} ${ack.path}`)
        .sort(),
    ).toEqual([
      'AwsSolutions-AS3 WeightedTcpService/Blue/Group/ASG',
      'AwsSolutions-AS3 WeightedTcpService/Green/Group/ASG',
      'AwsSolutions-AS3 WeightedWebService/OnDemand/Group/ASG',
      'AwsSolutions-AS3 WeightedWebService/Spot/Group/ASG',
      'AwsSolutions-EC23 WeightedTcpService/Tcp/SecurityGroup/Resource',
      'AwsSolutions-EC23 WeightedWebService/Web/LoadBalancer/SecurityGroup/Resource',
      'AwsSolutions-EC26 WeightedWebService/Spot/Group/ASG',
      'AwsSolutions-IAM5[Resource::*] WeightedTcpService/Tcp/Controller/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] WeightedWebService/Web/Controller/Role/DefaultPolicy/Resource',
      'AwsSolutions-S1 WeightedTcpService/Tcp/AccessLogs/Resource',
      'AwsSolutions-S1 WeightedWebService/Web/AccessLogs/Resource',
    ]);
  });
});
