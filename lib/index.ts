export * from './types';
export * from './fleet';
export * from './imported-fleet';
export * from './existing-targets-fleet';
export * from './target-group';
export * from './steered-action';
export * from './weighted-load-balancer';
export * from './weight-controller';
