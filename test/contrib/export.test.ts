/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportToCheckout } from '../../contrib/lib/export.ts';
import type { ExportReport } from '../../contrib/lib/export.ts';
import { NotAContribCheckout } from '../../contrib/lib/checkout.ts';
import { EXPORTED_TEST_DIRS } from '../../contrib/lib/tests.ts';
import {
  listRepoFiles,
  readRepoFile,
  readRepoPackage,
  repoPath,
  supportedRange,
  versionMatrix,
} from '../../contrib/lib/source.ts';
import { realCheckoutClone, standInCheckout } from './stand-in-checkout.ts';

const PACKAGE_DIR = 'packages/instrumentation-aerospike';
const repoPackage = readRepoPackage();

// The stand-in always; a clone of a real checkout when CONTRIB_CHECKOUT
// names one (see stand-in-checkout.ts).
const targets: [string, () => string][] = [
  ['a contrib-shaped stand-in tree', standInCheckout],
];
if (process.env.CONTRIB_CHECKOUT) {
  const checkout = process.env.CONTRIB_CHECKOUT;
  targets.push([`a clone of ${checkout}`, () => realCheckoutClone(checkout)]);
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe.each(targets)('contrib:export into %s', (_label, create) => {
  let root: string;
  let first: ExportReport;
  let second: ExportReport;
  const inPackage = (path: string) => join(root, PACKAGE_DIR, path);
  const read = (path: string) => readFileSync(join(root, path), 'utf8');

  beforeAll(async () => {
    root = create();
    roots.push(root);
    first = await exportToCheckout(root);
    second = await exportToCheckout(root);
  });

  it('writes the package and the files a contrib package has', () => {
    for (const file of [
      'package.json',
      'tsconfig.json',
      '.tav.yml',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      'test/run-each-file.mjs',
      'test/helpers/vitest-on-mocha.ts',
      'test/helpers/backend.ts',
    ]) {
      expect(existsSync(inPackage(file)), file).toBe(true);
    }
    expect(first.packageDir).toBe(PACKAGE_DIR);
  });

  it('generates package.json in contrib shape from this repository', () => {
    const pkg = JSON.parse(read(`${PACKAGE_DIR}/package.json`));
    expect(pkg).toMatchObject({
      name: repoPackage.name,
      version: repoPackage.version,
      private: true,
      engines: repoPackage.engines,
      repository: { directory: PACKAGE_DIR },
      dependencies: repoPackage.dependencies,
    });
    expect(pkg.description).toBe(
      'OpenTelemetry instrumentation for `aerospike` database client for Aerospike'
    );
    const shape = JSON.parse(
      read('packages/instrumentation-ioredis/package.json')
    );
    expect(pkg.main).toBe(shape.main);
    expect(pkg.types).toBe(shape.types);
    expect(pkg.files).toEqual(shape.files);
    expect(Object.keys(pkg.scripts)).toEqual(
      expect.arrayContaining([
        'clean',
        'compile',
        'lint:readme',
        'test',
        'tdd',
        'test-all-versions',
        'version:update',
        'test-services:ls',
        'test-services:start',
        'test-services:stop',
      ])
    );
    expect(pkg.scripts.test).toMatch(/^nyc .*run-each-file\.mjs/);
    expect(pkg.scripts['test-services:start']).toMatch(
      /test-services:start aerospike$/
    );
    expect(pkg.peerDependencies['@opentelemetry/api']).toBe(
      repoPackage.peerDependencies['@opentelemetry/api']
    );
    // The client is what the package instruments, never what it ships.
    expect(pkg.devDependencies.aerospike).toBe(
      repoPackage.devDependencies.aerospike
    );
    expect(pkg.dependencies.aerospike).toBeUndefined();
    expect(pkg.peerDependencies.aerospike).toBeUndefined();
    expect(pkg.exports['./register']).toMatch(/register\.c?js$/);
  });

  it('copies src/ byte for byte, leaving version.ts to contrib', () => {
    const srcFiles = listRepoFiles('src');
    expect(srcFiles.length).toBeGreaterThan(1);
    for (const file of srcFiles) {
      if (file === 'src/version.ts') continue;
      expect(
        readFileSync(inPackage(file)).equals(readFileSync(repoPath(file))),
        file
      ).toBe(true);
    }
    expect(first.written).not.toContain(`${PACKAGE_DIR}/src/version.ts`);
  });

  it('exports every integration and unit suite, adapted to mocha', () => {
    const suites = EXPORTED_TEST_DIRS.flatMap(dir =>
      listRepoFiles(dir, p => p.endsWith('.test.ts'))
    );
    expect(suites.length).toBeGreaterThan(5);
    for (const suite of suites) {
      const text = readFileSync(inPackage(suite), 'utf8');
      expect(text, suite).not.toMatch(/from 'vitest'/);
      expect(text, suite).not.toMatch(/from '\.[^']*\.ts'/);
      expect(text, suite).not.toMatch(/import\.meta/);
      expect(text, suite).not.toMatch(/test\/server|skipIf\(!onEmbedded\)/);
      expect(text, suite).toMatch(/SPDX-License-Identifier: Apache-2.0/);
    }
    expect(existsSync(inPackage('test/server'))).toBe(false);
    expect(existsSync(inPackage('test/fixtures/udf/udf_test.lua'))).toBe(true);
  });

  it('lists the tests it leaves out, those that need the embedded server', () => {
    const gated = EXPORTED_TEST_DIRS.flatMap(dir =>
      listRepoFiles(dir, p => p.endsWith('.test.ts'))
    ).reduce(
      (n, file) =>
        n + (readRepoFile(file).match(/skipIf\(!onEmbedded\)/g) ?? []).length,
      0
    );
    expect(first.leftOut).toHaveLength(gated);
  });

  it('writes .tav.yml for every version of the matrix, with its Node.js range', () => {
    const tav = read(`${PACKAGE_DIR}/.tav.yml`);
    expect(tav.startsWith('aerospike:\n')).toBe(true);
    const blocks = [
      ...tav.matchAll(/include: '([^']+)'\n {4}node: '([^']+)'/g),
    ].map(m => ({ versions: m[1].split(' || '), node: m[2] }));
    for (const { version, node } of versionMatrix()) {
      const block = blocks.find(b => b.versions.includes(version));
      expect(block?.node, version).toMatch(new RegExp(`<${node + 1}$`));
    }
    expect(blocks.flatMap(b => b.versions).sort()).toEqual(
      versionMatrix()
        .map(e => e.version)
        .sort()
    );
  });

  it('writes a README with the supported range and contrib footer', () => {
    const readme = read(`${PACKAGE_DIR}/README.md`);
    expect(readme).toContain('### Supported Versions');
    expect(readme).toContain(`versions \`${supportedRange()}\``);
    expect(readme).toContain(
      '[![NPM Published Version][npm-img]][npm-url]\n[![Apache License][license-image]][license-image]\n'
    );
    expect(readme).toContain('## Useful links');
    expect(readme).not.toContain('## The embedded server');
  });

  it('keeps no link to a README section it does not carry', () => {
    const readme = read(`${PACKAGE_DIR}/README.md`);
    const anchors = new Set(
      [...readme.matchAll(/^#{1,6} (.+)$/gm)].map(m =>
        m[1]
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-')
      )
    );
    const targets = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map(m => m[1]);
    expect(targets.filter(t => !anchors.has(t))).toEqual([]);
  });

  it('adds the package to the shared files, once', () => {
    const config = JSON.parse(read('release-please-config.json'));
    expect(config.packages[PACKAGE_DIR]).toEqual({
      'skip-github-release': true,
    });
    const manifest = JSON.parse(read('.release-please-manifest.json'));
    expect(manifest[PACKAGE_DIR]).toBe(repoPackage.version);
    const keys = Object.keys(manifest);
    expect(keys[keys.indexOf(PACKAGE_DIR) + 1]).toBe(
      'packages/instrumentation-amqplib'
    );

    const owners = read('.github/component_owners.yml');
    expect(owners.split(`  ${PACKAGE_DIR}:`)).toHaveLength(2);
    expect(owners).toMatch(/PLACEHOLDER/);
    expect(owners.indexOf(PACKAGE_DIR)).toBeLessThan(
      owners.indexOf('packages/instrumentation-amqplib:')
    );

    const labels = read('.github/component-label-map.yml');
    expect(labels).toContain(
      `pkg:instrumentation-aerospike:\n  - changed-files:\n      - any-glob-to-any-file:\n          - ${PACKAGE_DIR}/**\npkg:instrumentation-amqplib:`
    );

    const compose = read('test/docker-compose.yaml');
    expect(compose.split('\n  aerospike:\n')).toHaveLength(2);
    expect(compose).toMatch(
      /aerospike:\n {4}image: aerospike\/aerospike-server/
    );
    expect(compose.slice(compose.indexOf('  aerospike:'))).toMatch(
      /^ {2}aerospike:\n(?: {4}.*\n)*? {4}healthcheck:/
    );

    const env = read('test/test-services.env');
    expect(env).toMatch(
      /^RUN_AEROSPIKE_TESTS=1\nOPENTELEMETRY_AEROSPIKE_HOST=localhost\nOPENTELEMETRY_AEROSPIKE_PORT=3000\n\n/m
    );
    expect(env.split('RUN_AEROSPIKE_TESTS')).toHaveLength(2);
  });

  it('changes nothing when run twice', () => {
    expect(second.written).toEqual([]);
    expect(second.removed).toEqual([]);
    expect(second.unchanged.length).toBe(
      first.written.length + first.unchanged.length
    );
  });

  it('leaves auto-instrumentations-node alone without the flag', () => {
    expect(first.patches.autoInstrumentations).toEqual([]);
    expect(
      read('packages/auto-instrumentations-node/package.json')
    ).not.toContain(repoPackage.name);
  });
});

describe('contrib:export, stale files and the second patch', () => {
  let root: string;

  beforeAll(() => {
    root = standInCheckout();
    roots.push(root);
  });

  it('removes files an earlier export wrote that this one does not, keeping version.ts', async () => {
    await exportToCheckout(root);
    const stale = join(root, PACKAGE_DIR, 'test/integration/gone.test.ts');
    writeFileSync(stale, '// from an earlier export\n');
    mkdirSync(join(root, PACKAGE_DIR, 'build'), { recursive: true });
    writeFileSync(join(root, PACKAGE_DIR, 'build/index.js'), '');
    writeFileSync(join(root, PACKAGE_DIR, 'src/version.ts'), '// contrib\n');
    const report = await exportToCheckout(root);
    expect(report.removed).toEqual([
      `${PACKAGE_DIR}/test/integration/gone.test.ts`,
    ]);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(root, PACKAGE_DIR, 'build/index.js'))).toBe(true);
    expect(existsSync(join(root, PACKAGE_DIR, 'src/version.ts'))).toBe(true);
  });

  it('registers the instrumentation in auto-instrumentations-node with --with-auto-instrumentations', async () => {
    const report = await exportToCheckout(root, {
      withAutoInstrumentations: true,
    });
    const auto = (path: string) =>
      readFileSync(
        join(root, 'packages/auto-instrumentations-node', path),
        'utf8'
      );
    const utils = auto('src/utils.ts');
    const importLine = `import { AerospikeInstrumentation } from '${repoPackage.name}';`;
    const entry = `'${repoPackage.name}': AerospikeInstrumentation,`;
    expect(utils.indexOf(importLine)).toBe(0); // sorted before amqplib
    const map = utils.slice(utils.indexOf('const InstrumentationMap'));
    expect(map.indexOf(entry)).toBeGreaterThan(0);
    expect(map.indexOf(entry)).toBeLessThan(
      map.indexOf("'@opentelemetry/instrumentation-amqplib'")
    );
    expect(auto('README.md')).toContain(
      `- [${repoPackage.name}](https://github.com/open-telemetry/opentelemetry-js-contrib/tree/main/${PACKAGE_DIR})`
    );
    expect(
      JSON.parse(auto('package.json')).dependencies[repoPackage.name]
    ).toBe(`^${repoPackage.version}`);
    expect(
      readFileSync(join(root, PACKAGE_DIR, 'README.md'), 'utf8')
    ).toContain('@opentelemetry/auto-instrumentations-node');
    expect(report.patches.autoInstrumentations).toEqual(
      expect.arrayContaining([
        'packages/auto-instrumentations-node/src/utils.ts',
        'packages/auto-instrumentations-node/README.md',
        'packages/auto-instrumentations-node/package.json',
      ])
    );
    const again = await exportToCheckout(root, {
      withAutoInstrumentations: true,
    });
    expect(again.written).toEqual([]);
  });
});

describe('contrib:export into a contrib that builds with tsdown', () => {
  it('takes the build config, entry points and files of the shape package', async () => {
    const root = standInCheckout();
    roots.push(root);
    // The shape of @opentelemetry/instrumentation-ioredis 0.72 on the npm
    // registry (contrib's main of today builds into dist/ with tsdown).
    const shapeDir = join(root, 'packages/instrumentation-ioredis');
    const shape = JSON.parse(
      readFileSync(join(shapeDir, 'package.json'), 'utf8')
    );
    Object.assign(shape, {
      main: './dist/index.cjs',
      module: './dist/index.mjs',
      types: './dist/index.d.cts',
      exports: {
        '.': {
          import: { types: './dist/index.d.mts', default: './dist/index.mjs' },
          require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
        },
      },
      files: ['README.md', 'LICENSE', 'dist'],
    });
    shape.scripts.compile = 'tsdown';
    shape.scripts.clean = 'rimraf dist build';
    writeFileSync(join(shapeDir, 'package.json'), JSON.stringify(shape));
    const config = "export default { entry: ['src/index.ts'] };\n";
    writeFileSync(join(shapeDir, 'tsdown.config.ts'), config);

    await exportToCheckout(root);
    const pkg = JSON.parse(
      readFileSync(join(root, PACKAGE_DIR, 'package.json'), 'utf8')
    );
    expect(pkg).toMatchObject({
      main: './dist/index.cjs',
      module: './dist/index.mjs',
      types: './dist/index.d.cts',
      files: ['README.md', 'LICENSE', 'dist'],
      scripts: { compile: 'tsdown', clean: 'rimraf dist build' },
    });
    expect(pkg.exports['.']).toEqual(shape.exports['.']);
    expect(pkg.exports['./register']).toBe('./dist/register.cjs');
    expect(
      readFileSync(join(root, PACKAGE_DIR, 'tsdown.config.ts'), 'utf8')
    ).toBe(config);
  });
});

describe('contrib:export that fails', () => {
  it('leaves the checkout as it was', async () => {
    const root = standInCheckout();
    roots.push(root);
    // An auto-instrumentations-node it cannot edit: found only after the
    // package's files are ready.
    writeFileSync(
      join(root, 'packages/auto-instrumentations-node/src/utils.ts'),
      'export {};\n'
    );
    const before = readFileSync(join(root, 'release-please-config.json'));
    await expect(
      exportToCheckout(root, { withAutoInstrumentations: true })
    ).rejects.toThrow(/no entries found|no InstrumentationMap/);
    expect(existsSync(join(root, PACKAGE_DIR))).toBe(false);
    expect(
      readFileSync(join(root, 'release-please-config.json')).equals(before)
    ).toBe(true);
  });
});

describe('contrib:export refuses a folder that is not a contrib checkout', () => {
  it.each([
    ['a missing folder', () => join(tmpdir(), 'no-such-contrib-checkout')],
    [
      'an empty folder',
      () => {
        const root = mkdtempSync(join(tmpdir(), 'empty-'));
        roots.push(root);
        return root;
      },
    ],
    ['this repository', () => join(import.meta.dirname, '..', '..')],
    [
      'another monorepo',
      () => {
        const root = standInCheckout();
        roots.push(root);
        const pkg = JSON.parse(
          readFileSync(join(root, 'package.json'), 'utf8')
        );
        pkg.name = 'opentelemetry-js';
        writeFileSync(join(root, 'package.json'), JSON.stringify(pkg));
        return root;
      },
    ],
  ])('refuses %s, saying why and writing nothing', async (_label, make) => {
    const dir = make();
    const error = await exportToCheckout(dir).catch(e => e);
    expect(error).toBeInstanceOf(NotAContribCheckout);
    expect(error.message).toContain(
      'is not an opentelemetry-js-contrib checkout'
    );
    expect(existsSync(join(dir, PACKAGE_DIR))).toBe(false);
  });
});
