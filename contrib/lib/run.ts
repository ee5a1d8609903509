/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface RunResult {
  code: number;
  /** stdout and stderr, interleaved as they came. */
  output: string;
  ms: number;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Also copy the output to this process's stdout as it comes. */
  echo?: boolean;
}

/** Runs a shell command line; never rejects. */
export function run(command: string, options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  return new Promise(resolve => {
    const child = spawn(command, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.echo) process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', err => {
      output += String(err);
    });
    child.on('close', code => {
      resolve({ code: code ?? 1, output, ms: performance.now() - started });
    });
  });
}

/** A child process that prints a line matching `ready` once it serves. */
export function startProcess(
  command: string,
  args: string[],
  ready: RegExp,
  cwd: string,
  timeoutMs = 30_000
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${args.join(' ')} not ready in time: ${output}`));
    }, timeoutMs);
    // Both pipes stay drained for the process's whole life.
    const onData = (chunk: Buffer) => {
      if (started) return;
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        started = true;
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', code => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`));
    });
  });
}

/** Stops a child process started by startProcess and waits for its exit. */
export function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
