/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { builtinModules } from 'node:module';
import ts from 'typescript';
import type { Checkout } from './checkout.ts';
import { SHAPE_PACKAGE } from './checkout.ts';

// The generated package.json: this repository's name, version, engines and
// dependency ranges (the ones src/ is built and tested with), in the shape of
// contrib's service-tested instrumentations (SHAPE_PACKAGE): their scripts,
// build entry points and published files, read from the checkout so that a
// newer contrib (another build tool, other paths) is followed.

export const SERVICE = 'aerospike';

/** Where a package lives in contrib: packages/<name without scope>. */
export function packageDirName(name: string): string {
  return name.replace(/^@[^/]+\//, '');
}

/** The npm package a bare specifier belongs to, or undefined for builtins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) {
    return undefined;
  }
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Packages a TypeScript or JavaScript file imports (static and literal dynamic). */
export function importedPackages(path: string, text: string): Set<string> {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found = new Set<string>();
  const add = (spec: string) => {
    if (spec.startsWith('.')) return;
    const name = packageOf(spec);
    if (name) found.add(name);
  };
  const visit = (n: ts.Node) => {
    if (
      (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) &&
      n.moduleSpecifier &&
      ts.isStringLiteralLike(n.moduleSpecifier)
    ) {
      add(n.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(n) &&
      (n.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(n.expression) && n.expression.text === 'require')) &&
      n.arguments[0] &&
      ts.isStringLiteralLike(n.arguments[0])
    ) {
      add(n.arguments[0].text);
    } else if (
      ts.isImportTypeNode(n) &&
      ts.isLiteralTypeNode(n.argument) &&
      ts.isStringLiteral(n.argument.literal)
    ) {
      add(n.argument.literal.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return found;
}

function sortedObject<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The `aerospike` client's name in descriptions (contrib's wording). */
const DESCRIPTION =
  'OpenTelemetry instrumentation for `aerospike` database client for Aerospike';

/**
 * Dependencies the development repository declares for its own tooling that
 * have no place in contrib: the register entry loads
 * auto-instrumentations-node when installed, but declaring it would make
 * this package depend on its own bundle.
 */
const NOT_EXPORTED_PEERS = ['@opentelemetry/auto-instrumentations-node'];

/** Packages the contrib root provides (tooling the scripts run). */
const ROOT_TOOLING = new Set(['mocha', 'nyc', 'typescript', 'ts-node']);

export interface PackageInputs {
  /** This repository's package.json. */
  repoPackage: Record<string, any>;
  /** Packages imported by the exported tests and adapters. */
  testImports: Set<string>;
  /** Packages imported by src/. */
  srcImports: Set<string>;
}

function rangeFor(
  name: string,
  repo: Record<string, any>,
  checkout: Checkout
): string {
  const own =
    repo.dependencies?.[name] ??
    repo.devDependencies?.[name] ??
    repo.peerDependencies?.[name];
  if (own) return own;
  // The test adapter's `expect` is the root's (as other packages use it);
  // jest-mock is released with it under the same version.
  const rootDev = checkout.rootPackage.devDependencies ?? {};
  if (rootDev[name]) return rootDev[name];
  if (name === 'jest-mock' && rootDev.expect) return rootDev.expect;
  throw new Error(
    `${name} is imported by the exported files but neither this ` +
      "repository's package.json nor contrib's root package.json declares it"
  );
}

/** Scripts in SHAPE_PACKAGE's style, for this package and its service. */
function scripts(
  name: string,
  shape: Record<string, string>
): Record<string, string> {
  const runner = "node test/run-each-file.mjs 'test/**/*.test.ts'";
  const generic = (key: string, fallback: string) => shape[key] ?? fallback;
  const out: Record<string, string> = {
    clean: generic('clean', 'rimraf build/*'),
    compile: generic('compile', 'tsc -p .'),
  };
  if (shape['compile:with-dependencies']) {
    out['compile:with-dependencies'] = `nx run-many -t compile -p ${name}`;
  }
  Object.assign(out, {
    'lint:readme': generic('lint:readme', 'node ../../scripts/lint-readme.js'),
    prepublishOnly: generic('prepublishOnly', 'npm run compile'),
    // One mocha process per test file: see test/run-each-file.mjs.
    test: `nyc --no-clean ${runner}`,
    'test-all-versions': generic('test-all-versions', 'tav'),
    tdd: generic('tdd', 'npm run test -- --watch-extensions ts --watch'),
    'test:with-services-env': generic(
      'test:with-services-env',
      "cross-env NODE_OPTIONS='-r dotenv/config' DOTENV_CONFIG_PATH=../../test/test-services.env npm test"
    ),
    'test-all-versions:with-services-env': generic(
      'test-all-versions:with-services-env',
      "cross-env NODE_OPTIONS='-r dotenv/config' DOTENV_CONFIG_PATH=../../test/test-services.env npm run test-all-versions"
    ),
    'test-services:ls': `echo ${SERVICE}`,
    'test-services:start': `cd ../.. && npm run test-services:start ${SERVICE}`,
    'test-services:stop': `cd ../.. && npm run test-services:stop ${SERVICE}`,
    'version:update': generic(
      'version:update',
      'node ../../scripts/version-update.js'
    ),
  });
  return out;
}

/**
 * Entry points as SHAPE_PACKAGE declares them, plus the `./register` entry
 * of this package (src/register.ts, CommonJS only).
 */
function entryPoints(shape: Record<string, any>): Record<string, any> {
  const main: string = shape.main ?? 'build/src/index.js';
  const out: Record<string, any> = { main, types: shape.types };
  if (shape.module) out.module = shape.module;
  // `build/src/index.js` -> `./build/src/register.js`; `./dist/index.cjs`
  // -> `./dist/register.cjs`.
  const register = `./${main.replace(/^\.\//, '').replace(/index(\.[cm]?js)$/, 'register$1')}`;
  if (shape.exports && typeof shape.exports === 'object') {
    out.exports = { ...shape.exports, './register': register };
  } else {
    out.exports = {
      '.': `./${main.replace(/^\.\//, '')}`,
      './register': register,
    };
  }
  return out;
}

export function generatePackageJson(
  checkout: Checkout,
  inputs: PackageInputs
): Record<string, any> {
  const repo = inputs.repoPackage;
  const shape = checkout.shapePackage;
  const name: string = repo.name;
  const dir = `packages/${packageDirName(name)}`;

  const peers = Object.entries(repo.peerDependencies ?? {}).filter(
    ([peer]) => !NOT_EXPORTED_PEERS.includes(peer)
  ) as [string, string][];
  const peerMeta = Object.entries(repo.peerDependenciesMeta ?? {}).filter(
    ([peer]) => peers.some(([p]) => p === peer)
  );
  const dependencies = Object.entries(repo.dependencies ?? {}) as [
    string,
    string,
  ][];
  const runtime = new Set([
    ...dependencies.map(([d]) => d),
    ...peers.map(([p]) => p),
  ]);
  for (const used of inputs.srcImports) {
    if (!runtime.has(used)) {
      throw new Error(
        `src/ imports ${used}, which is neither a dependency nor a peer ` +
          "dependency in this repository's package.json"
      );
    }
  }

  // Peers are installed for development too; the tests' imports and the
  // instrumented client itself (loaded by a computed require) are dev-only.
  const devNames = new Set<string>([
    ...peers.map(([p]) => p),
    'aerospike',
    ...[...inputs.testImports].filter(
      p => !ROOT_TOOLING.has(p) && !runtime.has(p)
    ),
  ]);
  for (const used of inputs.testImports) {
    if (peers.some(([p]) => p === used)) devNames.add(used);
  }
  const devDependencies = sortedObject(
    [...devNames].map(d => [d, rangeFor(d, repo, checkout)])
  );

  const repository = {
    ...(shape.repository ?? {
      type: 'git',
      url: 'https://github.com/open-telemetry/opentelemetry-js-contrib.git',
    }),
    directory: dir,
  };

  const pkg: Record<string, any> = {
    name,
    version: repo.version,
    // Unreleased components are private until their first release
    // (contrib's CONTRIBUTING.md, "Component Lifecycle").
    private: true,
    description: DESCRIPTION,
    ...entryPoints(shape),
    repository,
    scripts: scripts(name, shape.scripts ?? {}),
    keywords: [...(repo.keywords ?? [])].sort(),
    author: shape.author ?? 'OpenTelemetry Authors',
    license: repo.license ?? 'Apache-2.0',
    engines: repo.engines,
    files: shape.files,
    publishConfig: shape.publishConfig ?? { access: 'public' },
    peerDependencies: sortedObject(peers),
  };
  if (peerMeta.length > 0) pkg.peerDependenciesMeta = sortedObject(peerMeta);
  pkg.devDependencies = devDependencies;
  pkg.dependencies = sortedObject(dependencies);
  pkg.homepage = `https://github.com/open-telemetry/opentelemetry-js-contrib/tree/main/${dir}#readme`;
  if (!pkg.files) {
    throw new Error(`${SHAPE_PACKAGE}/package.json has no "files"`);
  }
  return pkg;
}
