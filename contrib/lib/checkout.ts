/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Files of contrib shared by its packages that a new package edits. */
export const SHARED_FILES = [
  'release-please-config.json',
  '.release-please-manifest.json',
  '.github/component_owners.yml',
  '.github/component-label-map.yml',
  'test/docker-compose.yaml',
  'test/test-services.env',
] as const;

export type SharedFile = (typeof SHARED_FILES)[number];

/**
 * Files every opentelemetry-js-contrib checkout has and the export edits or
 * relies on. A folder without them is not a contrib checkout.
 */
const REQUIRED_FILES = [
  'package.json',
  'tsconfig.base.json',
  ...SHARED_FILES,
  'scripts/lint-readme.js',
  'scripts/version-update.js',
];

/**
 * The package whose shape (scripts, build entry points, files, tsconfig) the
 * generated package copies: a database instrumentation tested against a
 * service, as this one is.
 */
export const SHAPE_PACKAGE = 'packages/instrumentation-ioredis';

export interface Checkout {
  root: string;
  /** The contrib root package.json. */
  rootPackage: Record<string, any>;
  /** package.json of SHAPE_PACKAGE. */
  shapePackage: Record<string, any>;
  /** SHAPE_PACKAGE's tsconfig.json text. */
  shapeTsconfig: string;
  /**
   * SHAPE_PACKAGE's build configuration files (a `tsdown.config.ts` in a
   * contrib that builds with tsdown), by name.
   */
  shapeBuildConfigs: Map<string, string>;
}

const BUILD_CONFIG = /^(tsdown|tsup|rollup)\.config\.[cm]?[jt]s$/;

export class NotAContribCheckout extends Error {}

function readJson(path: string): Record<string, any> {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Validates `dir` as an opentelemetry-js-contrib checkout and reads it. */
export function openCheckout(dir: string): Checkout {
  const root = resolve(dir);
  const refuse = (why: string): never => {
    throw new NotAContribCheckout(
      `${root} is not an opentelemetry-js-contrib checkout: ${why}. ` +
        'Pass the root of a clone of ' +
        'https://github.com/open-telemetry/opentelemetry-js-contrib.'
    );
  };
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    refuse('no such directory');
  }
  const missing = REQUIRED_FILES.filter(f => !existsSync(join(root, f)));
  if (missing.length > 0) refuse(`missing ${missing.join(', ')}`);
  let rootPackage: Record<string, any> = {};
  try {
    rootPackage = readJson(join(root, 'package.json'));
  } catch (err) {
    refuse(`package.json is not JSON (${(err as Error).message})`);
  }
  if (rootPackage.name !== 'opentelemetry-js-contrib') {
    refuse(`package.json names "${rootPackage.name}"`);
  }
  if (!rootPackage.workspaces?.includes('packages/*')) {
    refuse('package.json has no "packages/*" workspace');
  }
  const shapeDir = join(root, SHAPE_PACKAGE);
  if (!existsSync(join(shapeDir, 'package.json'))) {
    refuse(`missing ${SHAPE_PACKAGE}/package.json`);
  }
  const shapeBuildConfigs = new Map<string, string>();
  for (const file of readdirSync(shapeDir)) {
    if (BUILD_CONFIG.test(file)) {
      shapeBuildConfigs.set(file, readFileSync(join(shapeDir, file), 'utf8'));
    }
  }
  return {
    root,
    rootPackage,
    shapePackage: readJson(join(shapeDir, 'package.json')),
    shapeTsconfig: readFileSync(join(shapeDir, 'tsconfig.json'), 'utf8'),
    shapeBuildConfigs,
  };
}
