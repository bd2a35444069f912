// The README's composition example is examples/compose/shop-stack.ts, shown verbatim; this test
// keeps the README and the file the same and proves the file synthesizes what the README says.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ShopStack } from '../../examples/compose/shop-stack';

const root = path.join(__dirname, '..', '..');

describe('the README composition example', () => {
  it('shows examples/compose/shop-stack.ts verbatim', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const example = readFileSync(path.join(root, 'examples', 'compose', 'shop-stack.ts'), 'utf8');

    expect(readme).toContain('```ts\n' + example + '```');
  });

  it('synthesizes a 90/10 default action and a rule that sends /api/* to one fleet', () => {
    const stack = new ShopStack(new App(), 'Shop', { env: { region: 'eu-west-1' } });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: { Ref: Match.stringLikeRegexp('^X86') }, Weight: 90 },
              { TargetGroupArn: { Ref: Match.stringLikeRegexp('^Graviton') }, Weight: 10 },
            ],
          },
        },
      ],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
    });
  });
});
