/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// STAND-IN, a last resort: CI has no opentelemetry-js-contrib checkout and
// no network but the npm registry, so the export tests build the smallest
// tree shaped like one: the files the export reads and edits, with the
// contents' shape of contrib's (fd4d8ae, 2026-08-19), nothing else. With
// CONTRIB_CHECKOUT=<a real checkout> the same tests also run on a fresh
// clone of it (realCheckoutClone).

const FILES: Record<string, string> = {
  'package.json': JSON.stringify(
    {
      name: 'opentelemetry-js-contrib',
      version: '0.1.0',
      workspaces: ['packages/*'],
      devDependencies: { expect: '29.7.0', mocha: '11.7.5' },
    },
    null,
    2
  ),
  'tsconfig.base.json': '{ "compilerOptions": { "strict": true } }\n',
  '.prettierrc.json': JSON.stringify({
    arrowParens: 'avoid',
    printWidth: 80,
    trailingComma: 'es5',
    singleQuote: true,
  }),
  'release-please-config.json': `${JSON.stringify(
    {
      'bump-minor-pre-major': true,
      packages: {
        'packages/resource-detector-aws': {},
        'packages/auto-instrumentations-node': {},
        'packages/instrumentation-amqplib': {},
        'packages/instrumentation-ioredis': {},
      },
    },
    null,
    2
  )}\n`,
  '.release-please-manifest.json': `${JSON.stringify(
    {
      'packages/resource-detector-aws': '2.21.0',
      'packages/auto-instrumentations-node': '0.79.0',
      'packages/instrumentation-amqplib': '0.68.0',
      'packages/instrumentation-ioredis': '0.69.0',
    },
    null,
    2
  )}\n`,
  '.github/component_owners.yml': [
    '# Keep all in alphabetical order',
    'components:',
    '  packages/resource-detector-aws:',
    '    - jj22ee',
    '  packages/auto-instrumentations-node:',
    '    - pichlermarc',
    '  packages/instrumentation-amqplib:',
    '    - blumamir',
    '  packages/instrumentation-ioredis:',
    '    - blumamir',
    '',
  ].join('\n'),
  'test/docker-compose.yaml': [
    'name: opentelemetry-js-contrib-test-services',
    '',
    'services:',
    '  cassandra:',
    '    image: cassandra:3',
    '',
    '  redis:',
    '    image: redis:7',
    '    healthcheck:',
    '      test: ["CMD", "redis-cli", "ping"]',
    '',
  ].join('\n'),
  'test/test-services.env': [
    'RUN_CASSANDRA_TESTS=1',
    'CASSANDRA_HOST=localhost',
    '',
    'RUN_REDIS_TESTS=1',
    'OPENTELEMETRY_REDIS_HOST=localhost',
    '',
  ].join('\n'),
  'scripts/lint-readme.js': '// stand-in\n',
  'scripts/version-update.js': '// stand-in\n',
  'packages/instrumentation-ioredis/package.json': JSON.stringify(
    {
      name: '@opentelemetry/instrumentation-ioredis',
      version: '0.69.0',
      main: 'build/src/index.js',
      types: 'build/src/index.d.ts',
      repository: {
        type: 'git',
        url: 'https://github.com/open-telemetry/opentelemetry-js-contrib.git',
        directory: 'packages/instrumentation-ioredis',
      },
      scripts: {
        clean: 'rimraf build/*',
        compile: 'tsc -p .',
        'compile:with-dependencies':
          'nx run-many -t compile -p @opentelemetry/instrumentation-ioredis',
        'lint:readme': 'node ../../scripts/lint-readme.js',
        test: "nyc --no-clean mocha 'test/**/*.test.ts'",
        tdd: 'npm run test -- --watch-extensions ts --watch',
        'test-services:start': 'cd ../.. && npm run test-services:start redis',
        'version:update': 'node ../../scripts/version-update.js',
      },
      files: ['build/src/**/*.js', 'build/src/**/*.d.ts'],
    },
    null,
    2
  ),
  'packages/instrumentation-ioredis/tsconfig.json': JSON.stringify(
    {
      extends: '../../tsconfig.base',
      compilerOptions: { rootDir: '.', outDir: 'build' },
      include: ['src/**/*.ts', 'test/**/*.ts'],
    },
    null,
    2
  ),
  'packages/auto-instrumentations-node/package.json': `${JSON.stringify(
    {
      name: '@opentelemetry/auto-instrumentations-node',
      version: '0.79.0',
      dependencies: {
        '@opentelemetry/instrumentation': '^0.221.0',
        '@opentelemetry/instrumentation-amqplib': '^0.68.0',
        '@opentelemetry/instrumentation-ioredis': '^0.69.0',
      },
    },
    null,
    2
  )}\n`,
  'packages/auto-instrumentations-node/src/utils.ts': [
    "import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';",
    "import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';",
    '',
    'const InstrumentationMap = {',
    "  '@opentelemetry/instrumentation-amqplib': AmqplibInstrumentation,",
    "  '@opentelemetry/instrumentation-ioredis': IORedisInstrumentation,",
    '};',
    '',
  ].join('\n'),
  'packages/auto-instrumentations-node/README.md': [
    '## Supported instrumentations',
    '',
    '- [@opentelemetry/instrumentation-amqplib](https://github.com/open-telemetry/opentelemetry-js-contrib/tree/main/packages/instrumentation-amqplib)',
    '- [@opentelemetry/instrumentation-ioredis](https://github.com/open-telemetry/opentelemetry-js-contrib/tree/main/packages/instrumentation-ioredis)',
    '',
  ].join('\n'),
};

/** A fresh stand-in tree in a temporary folder. */
export function standInCheckout(): string {
  const root = mkdtempSync(join(tmpdir(), 'contrib-stand-in-'));
  for (const [path, content] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** A fresh clone of the real checkout at $CONTRIB_CHECKOUT (its HEAD). */
export function realCheckoutClone(checkout: string): string {
  const root = join(mkdtempSync(join(tmpdir(), 'contrib-clone-')), 'contrib');
  execFileSync('git', ['clone', '--quiet', '--shared', checkout, root]);
  return root;
}
