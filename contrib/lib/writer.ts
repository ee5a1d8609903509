/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/**
 * Writes files into a checkout only when their content differs, and records
 * what it did: running the export twice changes nothing the second time.
 */
export class CheckoutWriter {
  readonly written: string[] = [];
  readonly unchanged: string[] = [];
  readonly removed: string[] = [];

  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  read(path: string): string {
    return readFileSync(join(this.root, path), 'utf8');
  }

  write(path: string, content: string | Buffer): void {
    const abs = join(this.root, path);
    const next = typeof content === 'string' ? Buffer.from(content) : content;
    if (existsSync(abs) && readFileSync(abs).equals(next)) {
      this.unchanged.push(path);
      return;
    }
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, next);
    this.written.push(path);
  }

  /** Applies `edit` to an existing file of the checkout. */
  edit(path: string, edit: (text: string) => string): void {
    this.write(path, edit(this.read(path)));
  }

  /**
   * Removes files under `dir` that are not in `keep` (checkout-relative
   * paths) and not matched by `spare`.
   */
  prune(dir: string, keep: Set<string>, spare: (path: string) => boolean) {
    const abs = join(this.root, dir);
    if (!existsSync(abs)) return;
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        const rel = relative(this.root, path).split(sep).join('/');
        if (spare(rel)) continue;
        if (entry.isDirectory()) {
          walk(path);
          if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
        } else if (!keep.has(rel)) {
          rmSync(path);
          this.removed.push(rel);
        }
      }
    };
    walk(abs);
  }
}
