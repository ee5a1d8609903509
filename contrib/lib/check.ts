/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTO_DIR } from './auto-instrumentations.ts';
import { openCheckout } from './checkout.ts';
import { packageDirName } from './package-json.ts';
import { labelMapBlock } from './shared-files.ts';
import { run, startProcess, stopProcess } from './run.ts';
import type { RunResult } from './run.ts';
import { readRepoPackage, REPO_ROOT } from './source.ts';

// `npm run contrib:check`: contrib's own checks for the exported package, run
// in the checkout with contrib's scripts and configs (none is copied here),
// after installing only the package's workspace and the monorepo root.

export interface CheckOptions {
  /** `host:port[,...]` of a server; the embedded one is started otherwise. */
  aerospikeHosts?: string;
  /** Print every command's output as it comes. */
  verbose?: boolean;
  /** Print progress lines (the CLI does; tests do not). */
  log?: (line: string) => void;
}

export interface StepResult {
  name: string;
  command: string;
  passed: boolean;
  ms: number;
  /** One line about the outcome (counts, warnings). */
  note: string;
  /** The command's output, kept for failures. */
  output: string;
  /** For test runs: the tests' counts. */
  counts?: TestCounts;
}

export interface TestCounts {
  files?: number;
  passing: number;
  pending: number;
  failing: number;
}

export interface CheckReport {
  /** A folder with the full output of every step, one file each. */
  logDir: string;
  steps: StepResult[];
  tests?: TestCounts;
  server: string;
  passed: number;
  failed: number;
  ms: number;
}

interface Judgement {
  passed: boolean;
  note: string;
  counts?: TestCounts;
}

const NX_ENV = { NX_NO_CLOUD: 'true', NX_DAEMON: 'false', NX_TUI: 'false' };

/** "run-each-file: 11 files, 134 passing, 0 pending, 0 failing" */
export function parseTestSummary(output: string): TestCounts | undefined {
  const m =
    /run-each-file: (\d+) files, (\d+) passing, (\d+) pending, (\d+) failing/.exec(
      output
    );
  if (!m) return undefined;
  const [files, passing, pending, failing] = m.slice(1).map(Number);
  return { files, passing, pending, failing };
}

/** mocha's own summary ("12 passing", "1 pending", "2 failing"). */
export function parseMochaSummary(output: string): TestCounts {
  const count = (word: string) =>
    Number(new RegExp(`(\\d+) ${word}`).exec(output)?.[1] ?? 0);
  return {
    passing: count('passing'),
    pending: count('pending'),
    failing: count('failing'),
  };
}

/** The first `host:port` of a hosts list (`[v6]:port` allowed). */
export function firstHostPort(hosts: string): { host: string; port: string } {
  const first = hosts.split(',')[0].trim();
  const m = /^\[?([^\]]+?)\]?(?::[^:\]]+)?:(\d+)$/.exec(first);
  if (!m) return { host: first.replace(/^\[|\]$/g, ''), port: '3000' };
  return { host: m[1], port: m[2] };
}

export async function checkCheckout(
  dir: string,
  options: CheckOptions = {}
): Promise<CheckReport> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const checkout = openCheckout(dir);
  const root = checkout.root;
  const name: string = readRepoPackage().name;
  const packageDir = `packages/${packageDirName(name)}`;
  if (!existsSync(join(root, packageDir, 'package.json'))) {
    throw new Error(
      `${root} has no ${packageDir}: run npm run contrib:export -- ${root} first`
    );
  }
  const steps: StepResult[] = [];
  const logDir = mkdtempSync(join(tmpdir(), 'contrib-check-'));
  const env = { ...process.env, ...NX_ENV };
  const withAuto = Boolean(
    JSON.parse(readFileSync(join(root, AUTO_DIR, 'package.json'), 'utf8'))
      .dependencies?.[name]
  );

  const step = async (
    stepName: string,
    command: string,
    opts: {
      cwd?: string;
      env?: NodeJS.ProcessEnv;
      judge?: (r: RunResult) => Judgement;
    } = {}
  ): Promise<StepResult> => {
    log(`contrib:check  ${stepName}: ${command}`);
    const r = await run(command, {
      cwd: opts.cwd ?? root,
      env: opts.env ?? env,
      echo: options.verbose,
    });
    const judged = opts.judge?.(r) ?? { passed: r.code === 0, note: '' };
    const result: StepResult = {
      name: stepName,
      command,
      passed: judged.passed,
      ms: r.ms,
      note: judged.note || (r.code === 0 ? '' : `exit code ${r.code}`),
      output: r.output,
      counts: judged.counts,
    };
    steps.push(result);
    log(
      `contrib:check  ${stepName}: ${result.passed ? 'passed' : 'FAILED'} ` +
        `(${(r.ms / 1000).toFixed(1)} s)${result.note ? `, ${result.note}` : ''}`
    );
    writeFileSync(
      join(
        logDir,
        `${String(steps.length).padStart(2, '0')}-${stepName.replace(/\W+/g, '-')}.log`
      ),
      `$ ${command}\n${r.output}`
    );
    if (!result.passed && !options.verbose) log(r.output.trimEnd());
    return result;
  };

  // A workspace of contrib's is not in its lockfile until this install adds
  // it; `npm ci` would refuse. Without the flag this machine's npm config
  // strips the `resolved` fields of the whole lockfile.
  const workspaces = [packageDir, ...(withAuto ? [AUTO_DIR] : [])];
  const install = await step(
    'install',
    'npm install --ignore-scripts --no-audit --no-fund ' +
      '--omit-lockfile-registry-resolved=false ' +
      `${workspaces.map(w => `-w ${w}`).join(' ')} --include-workspace-root`
  );

  let tests: TestCounts | undefined;
  let server = '';
  if (install.passed) {
    const projects = [
      name,
      ...(withAuto ? ['@opentelemetry/auto-instrumentations-node'] : []),
    ];
    // nx builds the package's workspace dependencies and runs version:update
    // (src/version.ts) first; the tests need the compiled build.
    const compile = await step(
      'compile',
      `npx nx run-many -t compile -p ${projects.join(' ')}`
    );
    for (const project of projects) {
      await step(`eslint ${project}`, `npx nx run ${project}:lint`, {
        judge: r => ({
          passed: r.code === 0,
          note:
            /(\d+) problems? \((\d+) errors?, (\d+) warnings?\)/.exec(
              r.output
            )?.[0] ?? '',
        }),
      });
    }
    await step('prettier', `npx prettier --check ${workspaces.join(' ')}`);
    await step('README lint', 'npm run lint:readme', {
      cwd: join(root, packageDir),
    });
    const markdown = [
      `${packageDir}/README.md`,
      `${packageDir}/CHANGELOG.md`,
      ...(withAuto ? [`${AUTO_DIR}/README.md`] : []),
    ];
    await step('markdownlint', `npx markdownlint-cli2 ${markdown.join(' ')}`);
    await step('semconv deps', 'npm run lint:semconv-deps');
    await step('release-please', 'npm run lint:release-please');
    await step('peer API', 'node scripts/peer-api-check.js');
    // contrib's generator rewrites the whole label map; it must produce the
    // entry the export wrote. Its other changes (if this checkout's map is
    // out of date) are not this package's: the file is put back as it was.
    const labelMap = join(root, '.github/component-label-map.yml');
    const exported = readFileSync(labelMap, 'utf8');
    await step(
      'component owners and label map',
      'node scripts/gen-component-label-map.mjs',
      {
        judge: r => {
          const generated = readFileSync(labelMap, 'utf8');
          writeFileSync(labelMap, exported);
          const same =
            labelMapBlock(generated, packageDir) !== undefined &&
            labelMapBlock(generated, packageDir) ===
              labelMapBlock(exported, packageDir);
          const drift =
            generated
              .replace(labelMapBlock(generated, packageDir) ?? '', '')
              .trim() !==
            exported
              .replace(labelMapBlock(exported, packageDir) ?? '', '')
              .trim();
          return {
            passed: r.code === 0 && same,
            note: [
              same ? '' : `the generator writes another ${packageDir} entry`,
              drift
                ? "the generator also changes other packages' entries (this checkout's drift, left out)"
                : '',
            ]
              .filter(Boolean)
              .join('; '),
          };
        },
      }
    );
    await step('dependencies (knip)', 'npm run lint:deps');

    if (compile.passed) {
      ({ tests, server } = await runTests(root, packageDir, options, step));
      if (withAuto) {
        await step('tests of auto-instrumentations-node', 'npm test', {
          cwd: join(root, AUTO_DIR),
          judge: r => {
            const counts = parseMochaSummary(r.output);
            return {
              passed:
                r.code === 0 && counts.failing === 0 && counts.passing > 0,
              note: `${counts.passing} passing, ${counts.pending} pending, ${counts.failing} failing`,
              counts,
            };
          },
        });
      }
    }
  }

  const { passed, failed } = tally(steps);
  return {
    steps,
    tests,
    server,
    passed,
    failed,
    ms: performance.now() - started,
    logDir,
  };
}

/**
 * The final `N passed, M failed`: every check counts once; a test run counts
 * its tests, plus one failure when it failed without a failing test (a file
 * that did not load, no summary) or passed nothing ("0 passing").
 */
export function tally(steps: Pick<StepResult, 'passed' | 'counts'>[]): {
  passed: number;
  failed: number;
} {
  let passed = 0;
  let failed = 0;
  for (const s of steps) {
    if (!s.counts) {
      if (s.passed) passed += 1;
      else failed += 1;
      continue;
    }
    passed += s.counts.passing;
    failed += s.counts.failing;
    if (!s.passed && s.counts.failing === 0) failed += 1;
  }
  return { passed, failed };
}

type Step = (
  name: string,
  command: string,
  opts?: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    judge?: (r: RunResult) => Judgement;
  }
) => Promise<StepResult>;

/** The package's mocha suites against the server; the embedded one if none. */
async function runTests(
  root: string,
  packageDir: string,
  options: CheckOptions,
  step: Step
): Promise<{ tests?: TestCounts; server: string }> {
  let embedded: Awaited<ReturnType<typeof startProcess>> | undefined;
  let hosts = options.aerospikeHosts;
  let server: string;
  if (hosts) {
    server = `AEROSPIKE_HOSTS=${hosts}`;
  } else {
    // This repository's embedded server, on a free port, for as long as the
    // suites run.
    embedded = await startProcess(
      process.execPath,
      [join(REPO_ROOT, 'test/server/cli.ts'), '--port', '0', '--quiet'],
      /listening on (\S+:\d+)/,
      REPO_ROOT
    );
    hosts = embedded.match[1];
    server = `embedded server at ${hosts}`;
  }
  options.log?.(`contrib:check  tests against the ${server}`);
  try {
    const { host, port } = firstHostPort(hosts);
    let tests: TestCounts | undefined;
    await step('tests', 'npm test', {
      cwd: join(root, packageDir),
      env: {
        ...process.env,
        RUN_AEROSPIKE_TESTS: '1',
        OPENTELEMETRY_AEROSPIKE_HOST: host,
        OPENTELEMETRY_AEROSPIKE_PORT: port,
      },
      judge: r => {
        tests = parseTestSummary(r.output);
        if (!tests) {
          return {
            passed: false,
            note: 'no test summary',
            counts: { passing: 0, pending: 0, failing: 0 },
          };
        }
        const note =
          `${tests.passing} passing, ${tests.pending} pending, ` +
          `${tests.failing} failing in ${tests.files} files`;
        // "0 passing" is a failure: the suites skipped themselves.
        return {
          passed: r.code === 0 && tests.failing === 0 && tests.passing > 0,
          note,
          counts: tests,
        };
      },
    });
    return { tests, server };
  } finally {
    if (embedded) await stopProcess(embedded.child);
  }
}
