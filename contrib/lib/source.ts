/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

// What the export reads from this repository, at export time: whatever has
// landed on the branch is what gets exported.

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

export function readRepoFile(path: string): string {
  return readFileSync(repoPath(path), 'utf8');
}

export function readRepoPackage(): Record<string, any> {
  return JSON.parse(readRepoFile('package.json'));
}

/** Files under `dir` (repo-relative, forward slashes), sorted. */
export function listRepoFiles(
  dir: string,
  keep: (path: string) => boolean = () => true
): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(REPO_ROOT, path).split(sep).join('/'));
    }
  };
  walk(repoPath(dir));
  return out.filter(keep).sort();
}

/** The value of a literal (string, number, array, object) expression. */
function literalValue(node: ts.Expression, where: string): unknown {
  if (ts.isStringLiteralLike(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isArrayLiteralExpression(node)) {
    return node.elements.map(e => literalValue(e, where));
  }
  if (ts.isObjectLiteralExpression(node)) {
    const out: Record<string, unknown> = {};
    for (const p of node.properties) {
      if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) {
        throw new Error(`${where}: only plain properties are supported`);
      }
      out[p.name.text] = literalValue(p.initializer, where);
    }
    return out;
  }
  throw new Error(`${where}: not a literal: ${node.getText()}`);
}

/** The literal value of `const <name> = ...` at the top level of a file. */
export function readConstant(path: string, name: string): unknown {
  const source = ts.createSourceFile(
    path,
    readRepoFile(path),
    ts.ScriptTarget.Latest,
    true
  );
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (ts.isIdentifier(decl.name) && decl.name.text === name) {
        if (!decl.initializer) break;
        return literalValue(decl.initializer, `${path} ${name}`);
      }
    }
  }
  throw new Error(`${path}: no top-level constant ${name}`);
}

/** The `aerospike` range the instrumentation patches. */
export function supportedRange(): string {
  const versions = readConstant('src/instrumentation.ts', 'SUPPORTED_VERSIONS');
  if (!Array.isArray(versions) || versions.length === 0) {
    throw new Error('src/instrumentation.ts: SUPPORTED_VERSIONS is empty');
  }
  return versions.join(' || ');
}

export interface MatrixEntry {
  version: string;
  /** The newest Node major the version ships a prebuilt binary for. */
  node: number;
}

/** The version matrix of .ci/matrix.mjs (every version CI tests). */
export function versionMatrix(): MatrixEntry[] {
  const matrix = readConstant('.ci/matrix.mjs', 'MATRIX');
  if (!Array.isArray(matrix) || matrix.length === 0) {
    throw new Error('.ci/matrix.mjs: MATRIX is empty');
  }
  return matrix.map(e => {
    const { version, node } = e as MatrixEntry;
    if (typeof version !== 'string' || typeof node !== 'number') {
      throw new Error(`.ci/matrix.mjs: bad MATRIX entry ${JSON.stringify(e)}`);
    }
    return { version, node };
  });
}
