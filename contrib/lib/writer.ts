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
 * Writes are staged until commit(): an export that fails half-way (a README
 * section gone, a test the adapter cannot take) leaves the checkout as it was.
 */
export class CheckoutWriter {
  readonly written: string[] = [];
  readonly unchanged: string[] = [];
  readonly removed: string[] = [];
  readonly root: string;
  private readonly _staged = new Map<string, Buffer>();

  constructor(root: string) {
    this.root = root;
  }

  /** A file of the checkout, as staged if it is. */
  read(path: string): string {
    const staged = this._staged.get(path);
    return staged
      ? staged.toString('utf8')
      : readFileSync(join(this.root, path), 'utf8');
  }

  write(path: string, content: string | Buffer): void {
    this._staged.set(
      path,
      typeof content === 'string' ? Buffer.from(content) : content
    );
  }

  /** Applies `edit` to a file of the checkout. */
  edit(path: string, edit: (text: string) => string): void {
    this.write(path, edit(this.read(path)));
  }

  /** Writes what is staged and differs from the checkout. */
  commit(): void {
    for (const [path, next] of this._staged) {
      const abs = join(this.root, path);
      if (existsSync(abs) && readFileSync(abs).equals(next)) {
        this.unchanged.push(path);
        continue;
      }
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, next);
      this.written.push(path);
    }
    this._staged.clear();
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
