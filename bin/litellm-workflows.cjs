#!/usr/bin/env node
// The `litellm-workflows` command. In a checkout (src/ and tsx present) it runs the TypeScript source, so
// `npx litellm-workflows` works right after `npm install`, with no build and nothing stale; an installed
// package or the Docker image (no src/, no tsx) runs the built lib/.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
function load() {
  if (existsSync(join(root, 'src', 'cli.ts'))) {
    try {
      require.resolve('tsx/cjs');
    } catch {
      return require(join(root, 'lib', 'src', 'cli.js'));
    }
    require('tsx/cjs');
    return require(join(root, 'src', 'cli.ts'));
  }
  return require(join(root, 'lib', 'src', 'cli.js'));
}

load()
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
  );
