import type { BuildOptions, Plugin } from 'esbuild';
export declare const zodEnglishOnly: Plugin;
export declare const lambdaBundleOptions: BuildOptions;
