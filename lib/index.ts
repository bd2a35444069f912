// Only jsii-friendly shapes are exported here: classes, interfaces and enums, no free functions.
export * from './types';
export * from './fleet';
export * from './imported-fleet';
export * from './existing-targets-fleet';
export { TargetGroupOptions } from './target-group';
export { SteeredActionDescription, SteeredTargetGroupDescription } from './steered-action';
export * from './weighted-load-balancer';
export * from './weight-controller';
