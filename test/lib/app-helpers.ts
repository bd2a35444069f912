import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, AppProps, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';

/** The feature flags in cdk.json, so tests synthesize what `cdk synth` does. */
export function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  return cdkJson.context;
}

export function projectApp(props: AppProps = {}): App {
  return new App({ ...props, context: { ...projectContext(), ...props.context } });
}

/** A stack in a concrete region (ALB access logging needs one) with a VPC to put things in. */
export function stackWithVpc(): { app: App; stack: Stack; vpc: ec2.Vpc } {
  const app = projectApp();
  const stack = new Stack(app, 'TestStack', { env: { region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  return { app, stack, vpc };
}

/** The single resource of a type whose logical id starts with a construct id's prefix. */
export function onlyResource(
  template: Template,
  type: string,
  idPrefix = '',
): { id: string; props: any } {
  const matches = Object.entries(template.findResources(type)).filter(([id]) =>
    id.startsWith(idPrefix),
  );
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} starting with "${idPrefix}", found ${matches.length}`);
  }
  const [id, resource] = matches[0];
  return { id, props: (resource as any).Properties };
}
