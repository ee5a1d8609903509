/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import {
  AUTO_DIR,
  BUNDLE_NOTE,
  editPackageJson as editAutoPackageJson,
  editReadme as editAutoReadme,
  editUtils as editAutoUtils,
} from './auto-instrumentations.ts';
import { openCheckout, SHARED_FILES } from './checkout.ts';
import type { SharedFile } from './checkout.ts';
import {
  generatePackageJson,
  importedPackages,
  packageDirName,
  SERVICE,
} from './package-json.ts';
import { generateReadme } from './readme.ts';
import {
  editComponentLabelMap,
  editComponentOwners,
  editDockerCompose,
  editReleasePleaseConfig,
  editReleasePleaseManifest,
  editTestServicesEnv,
} from './shared-files.ts';
import {
  listRepoFiles,
  readRepoFile,
  readRepoPackage,
  repoPath,
  supportedRange,
  versionMatrix,
} from './source.ts';
import { generateTav } from './tav.ts';
import { exportTests } from './tests.ts';
import { CheckoutWriter } from './writer.ts';

/** Generated in contrib by `version:update` (and git-ignored there). */
const GENERATED_SRC = 'src/version.ts';

/** The variables test/test-services.env gets for the service. */
export const SERVICE_ENV = {
  RUN_AEROSPIKE_TESTS: '1',
  OPENTELEMETRY_AEROSPIKE_HOST: 'localhost',
  OPENTELEMETRY_AEROSPIKE_PORT: '3000',
};

/** The initial CHANGELOG.md of a contrib package (release-please fills it). */
const CHANGELOG = '<!-- markdownlint-disable MD007 MD034 -->\n# Changelog\n';

export interface ExportOptions {
  /** Also write the second patch (auto-instrumentations-node). */
  withAutoInstrumentations?: boolean;
}

export interface ExportReport {
  root: string;
  /** packages/<name>, relative to the checkout. */
  packageDir: string;
  written: string[];
  unchanged: string[];
  removed: string[];
  /** Files of the first patch (the package) and of the second one. */
  patches: { package: string[]; autoInstrumentations: string[] };
  /** Tests not exported (they need the embedded server's faults). */
  leftOut: string[];
}

/** Formats generated code with the checkout's prettier configuration. */
async function format(
  root: string,
  path: string,
  text: string
): Promise<string> {
  if (!/\.(ts|mjs|js|json)$/.test(path)) return text;
  const file = join(root, path);
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

export async function exportToCheckout(
  dir: string,
  options: ExportOptions = {}
): Promise<ExportReport> {
  const checkout = openCheckout(dir);
  const repoPackage = readRepoPackage();
  const name: string = repoPackage.name;
  const packageDir = `packages/${packageDirName(name)}`;
  const writer = new CheckoutWriter(checkout.root);
  const inPackage = (path: string) => `${packageDir}/${path}`;
  const packageFiles = new Set<string>();
  const writePackageFile = async (
    path: string,
    content: string | Buffer,
    formatted = false
  ) => {
    const target = inPackage(path);
    packageFiles.add(target);
    writer.write(
      target,
      formatted && typeof content === 'string'
        ? await format(checkout.root, target, content)
        : content
    );
  };

  // src/: byte for byte, but for the file contrib generates.
  const srcFiles = listRepoFiles('src', p => p !== GENERATED_SRC);
  const srcImports = new Set<string>();
  for (const path of srcFiles) {
    const text = readRepoFile(path);
    for (const p of importedPackages(path, text)) srcImports.add(p);
    await writePackageFile(path, readFileSync(repoPath(path)));
  }

  // test/: the shared suites (mechanically adapted), the adapters, fixtures.
  const tests = exportTests();
  const testImports = new Set<string>();
  for (const [path, text] of tests.files) {
    for (const p of importedPackages(path, text)) testImports.add(p);
    await writePackageFile(path, text, true);
  }
  for (const [target, source] of tests.assets) {
    await writePackageFile(target, readFileSync(repoPath(source)));
  }

  const pkg = generatePackageJson(checkout, {
    repoPackage,
    testImports,
    srcImports,
  });
  await writePackageFile(
    'package.json',
    `${JSON.stringify(pkg, null, 2)}\n`,
    true
  );
  await writePackageFile('tsconfig.json', checkout.shapeTsconfig);
  // Not met in the snapshot this was developed against (it builds with tsc):
  // package-agnostic build configs are taken as they are.
  for (const [file, text] of checkout.shapeBuildConfigs) {
    await writePackageFile(file, text);
  }
  const matrix = versionMatrix();
  await writePackageFile('.tav.yml', generateTav(matrix, pkg.engines.node));
  await writePackageFile(
    'README.md',
    generateReadme({
      readme: readRepoFile('README.md'),
      packageName: name,
      range: supportedRange(),
      matrix,
      engines: pkg.engines.node,
      bundleNote: options.withAutoInstrumentations ? BUNDLE_NOTE : undefined,
    })
  );
  await writePackageFile('CHANGELOG.md', CHANGELOG);
  await writePackageFile('LICENSE', readFileSync(repoPath('LICENSE')));

  const sharedEdits: Record<SharedFile, (text: string) => string> = {
    'release-please-config.json': t => editReleasePleaseConfig(t, packageDir),
    '.release-please-manifest.json': t =>
      editReleasePleaseManifest(t, packageDir, pkg.version),
    '.github/component_owners.yml': t => editComponentOwners(t, packageDir),
    '.github/component-label-map.yml': t =>
      editComponentLabelMap(t, packageDir),
    'test/docker-compose.yaml': t => editDockerCompose(t, SERVICE),
    'test/test-services.env': t => editTestServicesEnv(t, SERVICE_ENV),
  };
  for (const file of SHARED_FILES) writer.edit(file, sharedEdits[file]);

  const autoFiles: string[] = [];
  if (options.withAutoInstrumentations) {
    const className = classNameOf(srcFiles);
    const utils = `${AUTO_DIR}/src/utils.ts`;
    const readme = `${AUTO_DIR}/README.md`;
    const autoPkg = `${AUTO_DIR}/package.json`;
    writer.write(
      utils,
      await format(
        checkout.root,
        utils,
        editAutoUtils(writer.read(utils), name, className)
      )
    );
    writer.edit(readme, t => editAutoReadme(t, name));
    writer.edit(autoPkg, t => editAutoPackageJson(t, name, pkg.version));
    autoFiles.push(utils, readme, autoPkg, inPackage('README.md'));
  }

  writer.commit();
  // Files an earlier export wrote and this one did not.
  writer.prune(
    packageDir,
    packageFiles,
    path =>
      path === inPackage(GENERATED_SRC) ||
      /^[^/]+\/[^/]+\/(node_modules|build|dist|coverage|\.nyc_output)(\/|$)/.test(
        path
      )
  );

  return {
    root: checkout.root,
    packageDir,
    written: writer.written,
    unchanged: writer.unchanged,
    removed: writer.removed,
    patches: {
      package: [packageDir, ...SHARED_FILES],
      autoInstrumentations: autoFiles,
    },
    leftOut: tests.leftOut,
  };
}

/** The instrumentation class src/index.ts exports. */
function classNameOf(srcFiles: string[]): string {
  const index = srcFiles.find(p => p === 'src/index.ts');
  const text = index ? readRepoFile(index) : '';
  const m = /export \{ (\w+Instrumentation) \}/.exec(text);
  if (!m) throw new Error('src/index.ts exports no *Instrumentation class');
  return m[1];
}
