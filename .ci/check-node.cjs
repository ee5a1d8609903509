/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Runs first in `npm run demo`, `npm test`, `npm run server` and
// `npm run bench`: on a Node.js too old for them, one line saying which
// Node.js is needed and how to get it, and exit code 1 (instead of
// ERR_UNKNOWN_FILE_EXTENSION on a .ts file or a stack trace).
//
//   node .ci/check-node.cjs           the `engines.node` of package.json
//   node .ci/check-node.cjs 22.18     a higher minimum (running .ts files
//                                     with Node's type stripping needs 22.18)
//
// Plain ES5 on purpose: it must parse on any Node.js.
'use strict';

var engines = require('../package.json').engines.node;
var wanted = (process.argv[2] || engines).replace(/^>=\s*/, '');

function parts(version) {
  return version.split('.').map(Number);
}

var have = parts(process.versions.node);
var need = parts(wanted);
var recent = have[0] > need[0] || (have[0] === need[0] && have[1] >= need[1]);

// `npm test`, `npm run demo`, ... as the user typed it.
var script = process.env.npm_lifecycle_event;
var what = !script
  ? 'This project'
  : script === 'test'
    ? 'npm test'
    : 'npm run ' + script;

if (!recent) {
  process.stderr.write(
    what +
      ' needs Node.js >= ' +
      wanted +
      ' (this is ' +
      process.version +
      '): install Node.js 24 from https://nodejs.org/ or with a version ' +
      'manager (nvm install 24, fnm install 24), then run it again.\n'
  );
  process.exit(1);
}
