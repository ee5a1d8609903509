/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Client policies for suites that compare or count what calls did, not how
 * fast: ten times the client's one-second default, so that a loaded machine
 * (several suites against one real server) times nothing out.
 */
const patient = { totalTimeout: 10_000, socketTimeout: 10_000 };

export const PATIENT_POLICIES = {
  read: patient,
  write: patient,
  operate: patient,
  batch: patient,
  query: patient,
  scan: patient,
  apply: patient,
  remove: patient,
  info: { timeout: 10_000 },
};
