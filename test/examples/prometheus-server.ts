/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// A real Prometheus server for the tests: the `prometheus` binary on PATH
// (Debian package `prometheus`, installed by .ci/run), started on loopback
// with a temporary storage folder and a config scraping one target every
// second, queried through its HTTP API as Grafana does.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The scrape interval the tests configure (and the rate windows assume). */
export const SCRAPE_INTERVAL_SECONDS = 1;
const JOB = 'app';

/** The `prometheus` executable on PATH, or undefined. */
export function findPrometheus(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'prometheus');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * Why the Prometheus tests cannot run here, or undefined when they can. In
 * CI (CI=true) a missing binary is a failure, not a skip: .ci/run installs it.
 */
export function prometheusMissing(): string | undefined {
  if (findPrometheus()) return undefined;
  const reason =
    'prometheus is not installed (Debian: apt-get install prometheus; ' +
    'elsewhere: https://prometheus.io/download/)';
  if (process.env.CI === 'true') {
    throw new Error(`${reason}, and CI must run these tests`);
  }
  return reason;
}

/** One sample of an instant vector. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  url: string;
  /** Evaluates `expr` at `time` (unix seconds) with /api/v1/query. */
  query(expr: string, time?: number): Promise<Sample[]>;
  /** /api/v1/label/<label>/values for the series matching `match`. */
  labelValues(label: string, match: string): Promise<string[]>;
  /** Waits until the target has been scraped `count` times, all healthy. */
  waitForScrapes(count: number): Promise<void>;
  /** The time of the target's latest scrape (unix seconds). */
  lastScrape(): Promise<number>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

async function apiGet(url: string): Promise<any> {
  const res = await fetch(url);
  const body = (await res.json()) as any;
  if (body.status !== 'success') {
    throw new Error(`${url}: ${body.errorType}: ${body.error}`);
  }
  return body.data;
}

/** Starts Prometheus scraping `target` (`host:port`, path /metrics). */
export async function startPrometheus(
  target: string
): Promise<PrometheusServer> {
  const binary = findPrometheus();
  if (!binary) throw new Error('prometheus is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'otel-aerospike-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${SCRAPE_INTERVAL_SECONDS}s`,
      `  scrape_timeout: ${SCRAPE_INTERVAL_SECONDS}s`,
      'scrape_configs:',
      `  - job_name: ${JOB}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n')
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve())
  );
  let running = true;
  void exited.then(() => (running = false));

  const stop = async () => {
    if (running) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!running) throw new Error(`prometheus exited:\n${stderr}`);
      const ready = await fetch(`${url}/-/ready`).then(
        r => r.ok,
        () => false
      );
      if (ready) break;
      if (Date.now() > deadline) {
        throw new Error(`prometheus not ready after 30 s:\n${stderr}`);
      }
      await new Promise(r => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const query = async (expr: string, time?: number): Promise<Sample[]> => {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) params.set('time', String(time));
    const data = await apiGet(`${url}/api/v1/query?${params}`);
    if (data.resultType !== 'vector') {
      throw new Error(`${expr}: a ${data.resultType}, not a vector`);
    }
    return data.result.map((r: any) => ({
      metric: r.metric,
      value: Number(r.value[1]),
    }));
  };

  const scrapes = async () => {
    const [sample] = await query(
      `count_over_time(up{job="${JOB}"}[10m]) == sum_over_time(up{job="${JOB}"}[10m])`
    );
    return sample?.value ?? 0;
  };

  return {
    url,
    query,
    async labelValues(label, match) {
      const params = new URLSearchParams({ 'match[]': match });
      return apiGet(`${url}/api/v1/label/${label}/values?${params}`);
    },
    async waitForScrapes(count) {
      const deadline = Date.now() + 30_000 + count * 2_000;
      while ((await scrapes()) < count) {
        if (Date.now() > deadline) {
          const targets = await apiGet(`${url}/api/v1/targets`);
          throw new Error(
            `fewer than ${count} healthy scrapes: ${JSON.stringify(targets.activeTargets)}`
          );
        }
        await new Promise(r => setTimeout(r, 200));
      }
    },
    async lastScrape() {
      const targets = await apiGet(`${url}/api/v1/targets`);
      const active = targets.activeTargets.find(
        (t: any) => t.labels.job === JOB
      );
      return Date.parse(active.lastScrape) / 1000;
    },
    stop,
  };
}
