/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// On a Node.js older than the project needs, `npm test`, `npm run demo`,
// `npm run server` and `npm run bench` print one line naming the Node.js
// needed and how to get it, and fail (instead of ERR_UNKNOWN_FILE_EXTENSION
// on a .ts file). Run with the machine's own old Node.js, when it has one.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv, ROOT } from '../packaging/helpers.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const [needMajor, needMinor] = /(\d+)\.(\d+)/
  .exec(pkg.engines.node)!
  .slice(1)
  .map(Number);

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A `node` on PATH (or in /usr/local/bin, /usr/bin) older than engines. */
function findOldNode(): { node: string; version: string } | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/local/bin',
    '/usr/bin',
  ];
  for (const dir of new Set(dirs.filter(Boolean))) {
    const node = join(dir, 'node');
    if (!executable(node)) continue;
    const version = execFileSync(node, ['--version'], {
      encoding: 'utf8',
    }).trim();
    const [major, minor] = version.slice(1).split('.').map(Number);
    if (major < needMajor || (major === needMajor && minor < needMinor)) {
      return { node, version };
    }
  }
  return undefined;
}

/** npm next to that node, or the one on PATH (it runs on the old node). */
function findNpm(oldNodeDir: string): string | undefined {
  for (const dir of [
    oldNodeDir,
    ...(process.env.PATH ?? '').split(delimiter),
  ]) {
    if (dir && executable(join(dir, 'npm'))) return join(dir, 'npm');
  }
  return undefined;
}

const old = findOldNode();
const npm = old && findNpm(dirname(old.node));
const missing = !old
  ? `no Node.js older than ${pkg.engines.node} on this machine`
  : !npm
    ? 'no npm to run the scripts with'
    : undefined;

function runNpm(
  args: string[]
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(npm!, args, {
      cwd: ROOT,
      // The old node first on PATH: npm and the scripts run on it.
      env: childEnv({
        PATH: [dirname(old!.node), dirname(npm!), '/usr/bin', '/bin'].join(
          delimiter
        ),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', c => (out += c));
    child.stderr.setEncoding('utf8').on('data', c => (err += c));
    child.on('error', reject);
    child.on('close', code => resolve({ code, out, err }));
  });
}

describe.skipIf(missing)(
  `npm scripts on a Node.js that is too old${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it.each([
      ['npm test', ['test'], pkg.engines.node.replace(/^>=\s*/, '')],
      ['npm run demo', ['run', 'demo'], '22.18'],
      ['npm run server', ['run', 'server'], '22.18'],
      ['npm run bench', ['run', 'bench'], '22.18'],
    ])(
      '%s: one line naming the Node.js needed, and a failure',
      async (command, args, needed) => {
        const r = await runNpm(args as string[]);
        expect(r.code, r.out + r.err).not.toBe(0);
        expect(r.code).not.toBeNull();
        // npm echoes the script on stdout; what the project prints is one line.
        const printed = r.err.split('\n').filter(Boolean);
        expect(printed, r.err).toEqual([
          `${command} needs Node.js >= ${needed} (this is ${old!.version}): ` +
            'install Node.js 24 from https://nodejs.org/ or with a version ' +
            'manager (nvm install 24, fnm install 24), then run it again.',
        ]);
        expect(r.out).not.toMatch(/ERR_|Error/);
      }
    );
  }
);

describe('the Node.js check on a recent Node.js', () => {
  it('lets the scripts run', () => {
    const out = execFileSync(
      process.execPath,
      [join(ROOT, '.ci/check-node.cjs'), '22.18'],
      { encoding: 'utf8' }
    );
    expect(out).toBe('');
  });
});
