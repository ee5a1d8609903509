/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Scan/query jobs, reported through `query-show`: the running ones and the
// last 100 done (query-max-done), as query/query_manager.c keeps them. A
// new job may not reuse the id of any of them. Background jobs run to
// completion when received, so they are done by the time the client polls.

/** query-max-done: how many finished jobs a node remembers. */
const MAX_DONE = 100;

export interface Job {
  trid: bigint;
  ns: string;
  set: string;
  module: string;
  /** `basic`, `background-udf` or `background-ops` (query/query.c). */
  type: string;
  status: string;
  recordsRead: number;
  recordsSucceeded: number;
  recordsFailed: number;
  startMs: number;
  endMs: number;
}

export class JobRegistry {
  private jobs = new Map<bigint, Job>();
  /** Query threads held by running scans and queries. */
  threadsInUse = 0;
  private _lastId = 0n;

  /** query_job_trid() (query/query_job.c): a job sent without an id. */
  nextId(): bigint {
    return ++this._lastId;
  }

  takeThreads(n: number): void {
    this.threadsInUse += n;
  }

  releaseThreads(n: number): void {
    this.threadsInUse = Math.max(0, this.threadsInUse - n);
  }

  add(job: Job): void {
    this.jobs.set(job.trid, job);
    this.evict();
  }

  /** Marks a job done; only the last MAX_DONE done jobs are kept. */
  finish(job: Job, status = 'done(ok)'): void {
    job.status = status;
    job.endMs = Date.now();
    // Re-insert: the map's order is the order jobs finished.
    this.jobs.delete(job.trid);
    this.jobs.set(job.trid, job);
    this.evict();
  }

  private evict(): void {
    let done = 0;
    for (const job of this.jobs.values()) {
      if (job.status.startsWith('done')) done++;
    }
    for (const [trid, job] of this.jobs) {
      if (done <= MAX_DONE) break;
      if (!job.status.startsWith('done')) continue;
      this.jobs.delete(trid);
      done--;
    }
  }

  get(trid: bigint): Job | undefined {
    return this.jobs.get(trid);
  }

  all(): Job[] {
    return [...this.jobs.values()];
  }

  clear(): void {
    this.jobs.clear();
  }
}
