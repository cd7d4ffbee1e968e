'use strict';

// What `egg-bin dev` / `egg-bin test` do for a TypeScript app (`package.json` egg.typescript):
// register ts-node (transpile only, CommonJS) and set EGG_TYPESCRIPT so egg loads `.ts` files.
// Shared by dump.js and serve.js.

const path = require('path');
const fs = require('fs');

/** True when the app at `baseDir` says it is written in TypeScript. */
function isTypeScriptApp(baseDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(baseDir, 'package.json'), 'utf8'));
  return Boolean(pkg.egg && pkg.egg.typescript);
}

function registerTypeScript(eggDir, baseDir) {
  const tsNode = require(require.resolve('ts-node', { paths: [ eggDir ] }));
  tsNode.register({
    transpileOnly: true,
    project: path.join(baseDir, 'tsconfig.json'),
    compilerOptions: { module: 'commonjs' },
  });
  process.env.EGG_TYPESCRIPT = 'true';
}

module.exports = { isTypeScriptApp, registerTypeScript };
