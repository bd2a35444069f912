/**
 * cfn-lint findings the example templates may carry, each with why it is acceptable. Every other
 * error or warning fails test/bin/cfn-lint.test.ts.
 */
export interface AllowedCfnLintFinding {
  /** The cfn-lint rule id, e.g. "W3005". */
  readonly rule: string;
  /** The logical id of the one resource the finding is on (a prefix: CDK appends a hash). */
  readonly resourcePrefix: string;
  readonly reason: string;
}

export const ALLOWED_CFN_LINT_FINDINGS: readonly AllowedCfnLintFinding[] = [
  {
    rule: 'W3005',
    resourcePrefix: 'CustomVpcRestrictDefaultSGCustomResourceProviderHandler',
    reason:
      "aws-cdk-lib's handler that strips the VPC default security group's rules (the " +
      '@aws-cdk/aws-ec2:restrictDefaultSecurityGroup flag) declares a DependsOn on its role that ' +
      'its GetAtt of the role already implies. It is redundant, not wrong, and not ours to change.',
  },
];
