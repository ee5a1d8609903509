/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// `npm run compile`: one build, two module systems.
//   build/cjs  CommonJS + .d.ts, with {"type":"commonjs"} (the package is ESM)
//   build/esm  ES modules + .d.ts, with {"type":"module"}
// The sources use extensionless relative imports (as in contrib); Node's ESM
// loader needs full paths, so the ESM output's relative specifiers are
// rewritten here to end in `.js` (or `/index.js`).
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ts = require('typescript');

function tsc(project) {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(root, project)],
    { stdio: 'inherit', cwd: root }
  );
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

const isFile = p => existsSync(p) && statSync(p).isFile();

/** The ESM-valid form of a relative specifier written without extension. */
function withExtension(fromFile, spec) {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return spec;
  if (/\.(c|m)?js$|\.json$/.test(spec)) return spec;
  const base = resolve(dirname(fromFile), spec);
  if (isFile(`${base}.js`) || isFile(`${base}.d.ts`)) return `${spec}.js`;
  if (isFile(join(base, 'index.js')) || isFile(join(base, 'index.d.ts'))) {
    return `${spec.replace(/\/$/, '')}/index.js`;
  }
  throw new Error(`build: cannot resolve ${spec} from ${fromFile}`);
}

/** Rewrites import/export/import() /import("...") type specifiers. */
function fixSpecifiers(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edits = [];
  const visit = node => {
    let literal;
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      literal = node.moduleSpecifier;
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      literal = node.arguments[0];
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      literal = node.argument.literal;
    }
    if (literal) {
      const fixed = withExtension(file, literal.text);
      if (fixed !== literal.text) {
        // Keep the quote style; replace what is between the quotes.
        edits.push({
          start: literal.getStart(source) + 1,
          end: literal.getEnd() - 1,
          text: fixed,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (edits.length === 0) return;
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  writeFileSync(file, out);
}

rmSync(join(root, 'build'), { recursive: true, force: true });
tsc('tsconfig.build.json');
tsc('tsconfig.build.esm.json');
writeFileSync(
  join(root, 'build/cjs/package.json'),
  JSON.stringify({ type: 'commonjs' }) + '\n'
);
writeFileSync(
  join(root, 'build/esm/package.json'),
  JSON.stringify({ type: 'module' }) + '\n'
);
for (const file of walk(join(root, 'build/esm'))) {
  if (file.endsWith('.js') || file.endsWith('.d.ts')) fixSpecifiers(file);
}
