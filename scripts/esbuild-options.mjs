// The esbuild options for the controller bundle, shared by the package build and the bundle
// benchmark, so the benchmark's SDK-only baseline is built exactly the way the handler is.

/**
 * zod's `z` namespace re-exports every locale (over 200 KiB of messages in 50 languages) and
 * esbuild cannot drop a namespace's unused members. The controller reports in English, so the
 * bundle keeps zod's English locale only: `z.locales` holds `en`.
 */
export const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer)
        ? {
            path: 'zod-locales-en',
            namespace: 'zod-english-only',
            pluginData: { resolveDir: args.resolveDir },
          }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: 'export { default as en } from "../locales/en.js";',
      resolveDir: args.pluginData.resolveDir,
      loader: 'js',
    }));
  },
};

/** Options for a Lambda bundle: Node 20, CommonJS, minified, SDK included. */
export const lambdaBundleOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [zodEnglishOnly],
};
