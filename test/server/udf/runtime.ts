/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Lua record-UDF runtime of the embedded server: registers Lua modules and
// runs `apply` calls against one record, the way a real Aerospike 8.x server
// (mod-lua, Lua 5.4) does, on fengari (Lua 5.3 in pure JavaScript).
//
// Behaviour taken from the real server (as/src/transaction/udf.c,
// as/src/base/udf_record.c, udf_aerospike.c, udf_cask.c, mod-lua):
// - Bin writes (`rec.x = v`) stay in a per-call cache; only
//   `aerospike:update/create/remove` apply them to the record. `update` on a
//   missing record returns -2 and does nothing; `create` on a record that has
//   bins returns 1; `remove` on a missing record returns 1.
// - Updates applied before a Lua error are still committed by the real
//   server; the thrown UdfExecutionError carries them in `outcome`.
// - FAILURE strings: the Lua error message (`/opt/aerospike/usr/udf/lua/
//   m.lua:5: boom`), `function not found`, `UDF: Execution Error 1` (unknown
//   module), `UDF Execution Timeout`, or `m:0: in function f() - error()
//   argument type not handled` for non-string error values.

import { createHash } from 'node:crypto';
import fengari from 'fengari';
import type { LuaState } from 'fengari';
import {
  AsDouble,
  AsGeoJSON,
  AsHLL,
  AsMap,
  type Bins,
  type Value,
} from '../codec/values.ts';
import { ResultCode, ServerError } from '../engine/errors.ts';
import { PRELUDE } from './prelude.ts';

const { lua, lauxlib, lualib, to_luastring } = fengari;

export interface UdfRecord {
  exists: boolean;
  bins: Bins;
  gen: number;
  /** Seconds remaining, -1 = never expires. */
  ttl: number;
  digest: Buffer;
  setName: string;
  key?: Value;
}

export interface UdfOutcome {
  /** The function's return value (the SUCCESS bin). */
  result: Value;
  /**
   * Present when the UDF applied updates and bins remain: `bins` is the
   * record's complete new bin set (replace, not merge); `ttl` is what
   * `record.set_ttl` asked for (raw: -1 never expire, -2 leave unchanged,
   * 0 namespace default, else seconds), absent when it was not called.
   */
  write?: { bins: Bins; ttl?: number };
  /** The UDF removed the record (or deleted every bin of it). */
  remove?: boolean;
}

export interface UdfCallOptions {
  /** Wall-clock budget of this call (the transaction's timeout). */
  timeoutMs?: number;
}

export interface LuaUdfRuntimeOptions {
  /** Lua VM instructions one call may execute (default 10 million). */
  maxInstructions?: number;
  /** Default wall-clock budget of one call (default 2000 ms). */
  timeoutMs?: number;
  /** Receives aerospike:log / info() / warn() ... output. */
  log?: (level: number, message: string) => void;
}

/**
 * A UDF failed while running: answer with code 100 and a `FAILURE` bin
 * holding `message`. A real server still commits the updates the UDF applied
 * (aerospike:update/create/remove) before failing: they are in `outcome`.
 */
export class UdfExecutionError extends ServerError {
  readonly outcome?: UdfOutcome;
  constructor(message: string, outcome?: UdfOutcome) {
    super(ResultCode.UDF_ERROR, message);
    this.name = 'UdfExecutionError';
    this.outcome = outcome;
  }
}

/**
 * udf-put was refused. `infoResponse` is the exact info reply a real server
 * gives (`error=compile_error;file=F;line=N;message=<base64>` or
 * `error=invalid_filename`).
 */
export class UdfRegisterError extends ServerError {
  readonly infoResponse: string;
  readonly file: string;
  readonly line: number;
  readonly luaMessage: string;
  constructor(
    message: string,
    infoResponse: string,
    file = '',
    line = 0,
    luaMessage = ''
  ) {
    super(ResultCode.PARAMETER_ERROR, message);
    this.name = 'UdfRegisterError';
    this.infoResponse = infoResponse;
    this.file = file;
    this.line = line;
    this.luaMessage = luaMessage;
  }
}

/** Where a real server keeps user modules: Lua error messages show it. */
export const UDF_USER_PATH = '/opt/aerospike/usr/udf/lua';

const HOOK_EVERY = 1000;
const MAX_DEPTH = 64;
const INT32_MAX = 2147483647;
const TWO_31 = 2 ** 31;
const TWO_63 = 2 ** 63;

interface Budget {
  used: number;
  max: number;
  deadline: number;
  timedOut: boolean;
}

/** The record one call works on. */
interface CallContext {
  record: UdfRecord;
  /** The record is open: it existed, or aerospike:create made it. */
  open: boolean;
  /** The bins as the UDF's executed updates left them. */
  bins: Bins;
  hasUpdates: boolean;
  ttl?: number;
  /**
   * Values pushed to Lua as floats that must come back with their own type:
   * integers beyond fengari's 32-bit integers, and whole doubles of that size.
   */
  hints: Map<number, Value>;
}

interface ModuleEntry {
  filename: string;
  name: string;
  source: string;
  hash: string;
}

/** A module's Lua state with the registry refs the bridge needs. */
interface LuaModuleState {
  L: LuaState;
  P: number;
  invoke: number;
  seal: number;
  mt: Record<'List' | 'Map' | 'Bytes' | 'Opaque', number>;
}

type TableKind = 'List' | 'Map' | 'Bytes' | 'Opaque' | 'Record' | null;

const VALID_FILENAME = /^[A-Za-z0-9_$-][A-Za-z0-9._$-]*$/;

function moduleNameOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(0, dot) : filename;
}

function luaStringToJs(s: Uint8Array): string {
  return Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('utf8');
}

export class LuaUdfRuntime {
  private readonly modules = new Map<string, ModuleEntry>();
  private readonly states = new Map<string, LuaModuleState>();
  private readonly maxInstructions: number;
  private readonly timeoutMs: number;
  private readonly logSink?: (level: number, message: string) => void;
  private budget: Budget = { used: 0, max: 0, deadline: 0, timedOut: false };
  private ctx: CallContext | null = null;

  constructor(options: LuaUdfRuntimeOptions = {}) {
    this.maxInstructions = options.maxInstructions ?? 10_000_000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.logSink = options.log;
  }

  /**
   * Registers (or replaces) a module, as udf-put does. Compiles and runs the
   * module's top level first; throws UdfRegisterError when that fails.
   */
  register(filename: string, source: string): void {
    const dot = filename.lastIndexOf('.');
    if (
      !VALID_FILENAME.test(filename) ||
      dot <= 0 ||
      dot === filename.length - 1
    ) {
      throw new UdfRegisterError(
        `invalid UDF filename ${JSON.stringify(filename)}`,
        'error=invalid_filename'
      );
    }
    const entry: ModuleEntry = {
      filename,
      name: moduleNameOf(filename),
      source,
      hash: createHash('sha1').update(source).digest('hex'),
    };
    // Validate the way mod-lua does: chunk name = the file name, so errors
    // read `[string "f.lua"]:3: ...`.
    const state = this.newState();
    try {
      const problem = this.loadChunk(state, source, filename);
      if (problem !== null) {
        throw compileError(filename, problem);
      }
      // Load it again under the path a real server uses, so runtime errors
      // name `/opt/aerospike/usr/udf/lua/<file>`; this state is kept.
      const again = this.loadChunk(
        state,
        source,
        `@${UDF_USER_PATH}/${filename}`
      );
      if (again !== null) {
        throw compileError(filename, again);
      }
      this.seal(state);
    } catch (e) {
      lua.lua_close(state.L);
      throw e;
    }
    this.dropStates();
    for (const [key, other] of this.modules) {
      if (other.name === entry.name) this.modules.delete(key);
    }
    this.modules.set(filename, entry);
    this.states.set(entry.name, state);
  }

  remove(filename: string): boolean {
    const entry = this.modules.get(filename);
    if (!entry) return false;
    this.modules.delete(filename);
    this.dropStates();
    return true;
  }

  /** Registered modules in registration order, as udf-list reports them. */
  list(): Array<{ filename: string; hash: string }> {
    return [...this.modules.values()].map(({ filename, hash }) => ({
      filename,
      hash,
    }));
  }

  has(filename: string): boolean {
    return this.modules.has(filename);
  }

  /** The source of a registered module (udf-get), or undefined. */
  source(filename: string): string | undefined {
    return this.modules.get(filename)?.source;
  }

  clear(): void {
    this.modules.clear();
    this.dropStates();
  }

  /**
   * Runs `module.fn(rec, ...args)` against `record` (module without
   * '.lua'). Throws UdfExecutionError (code 100, message = the FAILURE bin)
   * when the module or function is unknown or the Lua code fails.
   */
  callRecordUdf(
    module: string,
    fn: string,
    args: Value[],
    record: UdfRecord,
    options: UdfCallOptions = {}
  ): UdfOutcome {
    const state = this.stateFor(module);
    if (!state) {
      // mod-lua cannot create a state for the module: apply_record returns 1.
      throw new UdfExecutionError('UDF: Execution Error 1');
    }
    const { L } = state;
    const ctx: CallContext = {
      record,
      open: record.exists,
      bins: new Map(record.exists ? record.bins : []),
      hasUpdates: false,
      hints: new Map(),
    };
    this.ctx = ctx;
    this.resetBudget(options.timeoutMs);
    this.armHook(L, HOOK_EVERY);
    let status: number;
    let result: Value = null;
    let failure: string | null = null;
    try {
      lua.lua_settop(L, 0);
      lua.lua_checkstack(L, args.length + 8);
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, state.invoke);
      lua.lua_pushstring(L, fn);
      lua.lua_pushboolean(L, record.exists);
      for (const arg of args) this.push(state, arg, 0);
      status = lua.lua_pcall(L, args.length + 2, 1, 0);
      if (this.budget.timedOut) {
        failure = 'UDF Execution Timeout';
      } else if (status !== lua.LUA_OK) {
        failure = errorMessage(L, module, fn);
      } else {
        result = this.toValue(state, -1, 0);
      }
    } catch (e) {
      failure = this.budget.timedOut
        ? 'UDF Execution Timeout'
        : `UDF: Execution Error: ${(e as Error).message}`;
    } finally {
      lua.lua_settop(L, 0);
      this.ctx = null;
    }
    const outcome = finish(ctx, result);
    if (failure !== null) {
      throw new UdfExecutionError(
        failure,
        outcome.write || outcome.remove ? outcome : undefined
      );
    }
    return outcome;
  }

  /**
   * The per-record step of a background scan/query UDF job. A real server
   * never lets these create records: a missing record is skipped (null).
   * Failures throw UdfExecutionError like callRecordUdf; the job should count
   * them and go on (its `outcome` may still hold updates to commit).
   */
  callBackgroundUdf(
    module: string,
    fn: string,
    args: Value[],
    record: UdfRecord,
    options: UdfCallOptions = {}
  ): UdfOutcome | null {
    if (!record.exists) return null;
    return this.callRecordUdf(module, fn, args, record, options);
  }

  // ---------------------------------------------------------------- states

  private stateFor(module: string): LuaModuleState | null {
    const cached = this.states.get(module);
    if (cached) return cached;
    let entry: ModuleEntry | undefined;
    for (const e of this.modules.values()) {
      if (e.name === module) entry = e;
    }
    if (!entry) return null;
    const state = this.newState();
    const problem = this.loadChunk(
      state,
      entry.source,
      `@${UDF_USER_PATH}/${entry.filename}`
    );
    if (problem !== null) {
      lua.lua_close(state.L);
      return null;
    }
    this.seal(state);
    this.states.set(module, state);
    return state;
  }

  private seal(state: LuaModuleState): void {
    const { L } = state;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, state.seal);
    lua.lua_pcall(L, 0, 0, 0);
    lua.lua_settop(L, 0);
  }

  private dropStates(): void {
    for (const state of this.states.values()) lua.lua_close(state.L);
    this.states.clear();
  }

  private resetBudget(timeoutMs?: number): void {
    this.budget = {
      used: 0,
      max: this.maxInstructions,
      deadline: Date.now() + (timeoutMs ?? this.timeoutMs),
      timedOut: false,
    };
  }

  /** Loads and runs a chunk; returns null or the Lua error message. */
  private loadChunk(
    state: LuaModuleState,
    source: string,
    chunkname: string
  ): { message: string; syntax: boolean } | null {
    const { L } = state;
    this.resetBudget();
    this.armHook(L, HOOK_EVERY);
    lua.lua_settop(L, 0);
    const code = to_luastring(source);
    let status = lauxlib.luaL_loadbuffer(L, code, code.length, chunkname);
    if (status !== lua.LUA_OK) {
      const message = stringAt(L, -1) ?? 'syntax error';
      lua.lua_settop(L, 0);
      return { message, syntax: true };
    }
    status = lua.lua_pcall(L, 0, 0, 0);
    let problem: { message: string; syntax: boolean } | null = null;
    if (this.budget.timedOut) {
      problem = { message: 'UDF Execution Timeout', syntax: false };
    } else if (status !== lua.LUA_OK) {
      problem = {
        message: stringAt(L, -1) ?? '(Null error message returned by lua)',
        syntax: false,
      };
    }
    lua.lua_settop(L, 0);
    return problem;
  }

  private newState(): LuaModuleState {
    const L = lauxlib.luaL_newstate();
    const open = (name: string, fn: (L: LuaState) => number) => {
      lauxlib.luaL_requiref(L, name, fn, 1);
      lua.lua_settop(L, 0);
    };
    open('_G', lualib.luaopen_base);
    open('package', lualib.luaopen_package);
    open('table', lualib.luaopen_table);
    open('string', lualib.luaopen_string);
    open('math', lualib.luaopen_math);
    open('utf8', lualib.luaopen_utf8);
    open('os', lualib.luaopen_os);
    this.sandbox(L);

    const state: LuaModuleState = {
      L,
      P: 0,
      invoke: 0,
      seal: 0,
      mt: { List: 0, Map: 0, Bytes: 0, Opaque: 0 },
    };

    const code = to_luastring(PRELUDE);
    if (lauxlib.luaL_loadbuffer(L, code, code.length, '=aerospike') !== 0) {
      throw new Error(`UDF prelude: ${stringAt(L, -1)}`);
    }
    this.pushNatives(state);
    this.resetBudget();
    this.armHook(L, HOOK_EVERY);
    if (lua.lua_pcall(L, 1, 1, 0) !== lua.LUA_OK) {
      throw new Error(`UDF prelude: ${stringAt(L, -1)}`);
    }
    const ref = (field: string) => {
      lua.lua_getfield(L, 1, field);
      return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    };
    state.P = ref('P');
    state.invoke = ref('invoke');
    state.seal = ref('seal');
    for (const kind of ['List', 'Map', 'Bytes', 'Opaque'] as const) {
      state.mt[kind] = ref(kind);
    }
    lua.lua_settop(L, 0);
    return state;
  }

  /** Drops what a real server does not offer (io, files, most of os). */
  private sandbox(L: LuaState): void {
    lua.lua_pushnil(L);
    lua.lua_setglobal(L, 'dofile');
    lua.lua_pushnil(L);
    lua.lua_setglobal(L, 'loadfile');
    lua.lua_getglobal(L, 'os');
    lua.lua_createtable(L, 0, 4);
    for (const name of ['clock', 'date', 'difftime', 'time']) {
      lua.lua_getfield(L, -2, name);
      lua.lua_setfield(L, -2, name);
    }
    lua.lua_setglobal(L, 'os');
    lua.lua_settop(L, 0);
    // require() finds registered modules only (by module name).
    lua.lua_getglobal(L, 'package');
    lua.lua_getfield(L, -1, 'searchers');
    lua.lua_createtable(L, 2, 0);
    lua.lua_rawgeti(L, -2, 1); // the preload searcher
    lua.lua_rawseti(L, -2, 1);
    lua.lua_pushjsfunction(L, sl => this.searchModule(sl));
    lua.lua_rawseti(L, -2, 2);
    lua.lua_setfield(L, -3, 'searchers');
    lua.lua_settop(L, 0);
  }

  private searchModule(L: LuaState): number {
    const name = stringAt(L, 1) ?? '';
    let entry: ModuleEntry | undefined;
    for (const e of this.modules.values()) {
      if (e.name === name) entry = e;
    }
    if (!entry) {
      lua.lua_pushstring(L, `\n\tno UDF module '${name}' registered`);
      return 1;
    }
    const code = to_luastring(entry.source);
    const path = `${UDF_USER_PATH}/${entry.filename}`;
    if (lauxlib.luaL_loadbuffer(L, code, code.length, `@${path}`) !== 0) {
      return lua.lua_error(L);
    }
    lua.lua_pushstring(L, path);
    return 2;
  }

  private armHook(L: LuaState, every: number): void {
    lua.lua_sethook(
      L,
      (hl: LuaState) => this.hook(hl),
      lua.LUA_MASKCOUNT,
      every
    );
  }

  private hook(L: LuaState): void {
    const b = this.budget;
    b.used += HOOK_EVERY;
    if (b.timedOut || b.used > b.max || Date.now() > b.deadline) {
      b.timedOut = true;
      // From now on every instruction fails, so a pcall() in a loop cannot
      // swallow the timeout for ever.
      this.armHook(L, 1);
      lua.lua_pushstring(L, 'UDF Execution Timeout');
      lua.lua_error(L);
    }
  }

  // ---------------------------------------------------------------- natives

  private pushNatives(state: LuaModuleState): void {
    const { L } = state;
    const natives: Record<string, (L: LuaState) => number> = {
      getbin: l => {
        const ctx = this.ctx;
        const name = stringAt(l, 1) ?? '';
        if (!ctx || !ctx.open || !ctx.bins.has(name)) {
          lua.lua_pushnil(l);
        } else {
          this.push(state, ctx.bins.get(name) ?? null, 0);
        }
        return 1;
      },
      setbin: l => {
        const ctx = this.ctx;
        const name = stringAt(l, 1) ?? '';
        if (ctx) {
          const v = this.toValue(state, 2, 0);
          if (v === null) ctx.bins.delete(name);
          else ctx.bins.set(name, v);
        }
        return 0;
      },
      touch: () => {
        if (this.ctx) this.ctx.hasUpdates = true;
        return 0;
      },
      create: () => {
        const ctx = this.ctx;
        if (ctx) {
          ctx.open = true;
          ctx.bins = new Map();
        }
        return 0;
      },
      removeall: () => {
        const ctx = this.ctx;
        if (ctx) {
          ctx.bins = new Map();
          ctx.hasUpdates = true;
        }
        return 0;
      },
      numbins: l => {
        const ctx = this.ctx;
        lua.lua_pushinteger(l, ctx && ctx.open ? ctx.bins.size : 0);
        return 1;
      },
      bin_names: l => {
        const ctx = this.ctx;
        const names = ctx && ctx.open ? [...ctx.bins.keys()] : [];
        lua.lua_createtable(l, names.length, 0);
        names.forEach((n, i) => {
          lua.lua_pushstring(l, n);
          lua.lua_rawseti(l, -2, i + 1);
        });
        return 1;
      },
      ttl: l => {
        const r = this.ctx?.record;
        // A real server answers void-time minus now: 0 when it never expires.
        const ttl = r && r.exists && r.ttl > 0 ? r.ttl : 0;
        this.pushNumber(l, ttl);
        return 1;
      },
      gen: l => {
        const r = this.ctx?.record;
        lua.lua_pushinteger(l, r && r.exists ? r.gen : 0);
        return 1;
      },
      digest: l => {
        const r = this.ctx?.record;
        if (!r) lua.lua_pushnil(l);
        else this.push(state, Buffer.from(r.digest), 0);
        return 1;
      },
      setname: l => {
        const r = this.ctx?.record;
        if (!r || !r.exists || !r.setName) lua.lua_pushnil(l);
        else lua.lua_pushstring(l, r.setName);
        return 1;
      },
      key: l => {
        const r = this.ctx?.record;
        if (!r || !r.exists || r.key === undefined) lua.lua_pushnil(l);
        else this.push(state, r.key, 0);
        return 1;
      },
      last_update_time: l => {
        lua.lua_pushinteger(l, 0);
        return 1;
      },
      size: l => {
        const ctx = this.ctx;
        let size = 0;
        if (ctx && ctx.open) {
          for (const [k, v] of ctx.bins) size += k.length + approxSize(v);
        }
        this.pushNumber(l, size);
        return 1;
      },
      set_ttl: l => {
        if (this.ctx) this.ctx.ttl = lua.lua_tonumber(l, 1);
        return 0;
      },
      log: l => {
        const level = lua.lua_tonumber(l, 1);
        const message = stringAt(l, 2) ?? '';
        this.logSink?.(level, message);
        return 0;
      },
      now: l => {
        this.pushNumber(l, Date.now());
        return 1;
      },
      bytes_new: l => {
        const size = Math.max(0, Math.floor(lua.lua_tonumber(l, 1)));
        lua.lua_pushlightuserdata(l, Buffer.alloc(Math.min(size, 1 << 20)));
        return 1;
      },
      bytes_len: l => {
        lua.lua_pushinteger(l, bufferAt(l, 1).length);
        return 1;
      },
      bytes_get: l => {
        const buf = bufferAt(l, 1);
        const i = lua.lua_tointeger(l, 2);
        if (i >= 1 && i <= buf.length) lua.lua_pushinteger(l, buf[i - 1]);
        else lua.lua_pushnil(l);
        return 1;
      },
      bytes_set: l => {
        let buf = bufferAt(l, 1);
        const i = lua.lua_tointeger(l, 2);
        const v = lua.lua_tointeger(l, 3) & 0xff;
        if (i > buf.length) {
          const grown = Buffer.alloc(Math.min(i, 1 << 20));
          buf.copy(grown);
          buf = grown;
        }
        if (i >= 1 && i <= buf.length) buf[i - 1] = v;
        lua.lua_pushlightuserdata(l, buf);
        return 1;
      },
      bytes_sub: l => {
        const buf = bufferAt(l, 1);
        const pos = Math.max(1, lua.lua_tointeger(l, 2));
        const len =
          lua.lua_type(l, 3) === lua.LUA_TNUMBER
            ? lua.lua_tointeger(l, 3)
            : buf.length - pos + 1;
        lua.lua_pushstring(
          l,
          new Uint8Array(buf.subarray(pos - 1, pos - 1 + Math.max(0, len)))
        );
        return 1;
      },
      bytes_str: l => {
        lua.lua_pushstring(l, `Bytes(${bufferAt(l, 1).toString('hex')})`);
        return 1;
      },
      opaque_str: l => {
        const v = lua.lua_touserdata(l, 1);
        if (v instanceof AsGeoJSON) lua.lua_pushstring(l, v.json);
        else lua.lua_pushstring(l, 'HLL()');
        return 1;
      },
    };
    lua.lua_createtable(L, 0, Object.keys(natives).length);
    for (const [name, fn] of Object.entries(natives)) {
      lua.lua_pushjsfunction(L, fn);
      lua.lua_setfield(L, -2, name);
    }
  }

  // ------------------------------------------------------ value conversion

  private pushNumber(L: LuaState, n: number): void {
    if (Number.isInteger(n) && n >= -TWO_31 && n <= INT32_MAX) {
      lua.lua_pushinteger(L, n);
    } else {
      lua.lua_pushnumber(L, n);
    }
  }

  /** Pushes a Value as the Lua value a real server's mod-lua would see. */
  private push(state: LuaModuleState, v: Value, depth: number): void {
    const { L } = state;
    if (depth > MAX_DEPTH) throw new Error('value nested too deeply');
    if (v === null || v === undefined) {
      lua.lua_pushnil(L);
    } else if (typeof v === 'boolean') {
      lua.lua_pushboolean(L, v);
    } else if (typeof v === 'number') {
      if (
        Number.isInteger(v) &&
        (v < -TWO_31 || v > INT32_MAX) &&
        this.ctx !== null
      ) {
        this.ctx.hints.set(v, v);
      }
      this.pushNumber(L, v);
    } else if (typeof v === 'bigint') {
      const n = Number(v);
      this.ctx?.hints.set(n, v);
      lua.lua_pushnumber(L, n);
    } else if (typeof v === 'string') {
      lua.lua_pushstring(L, v);
    } else if (Buffer.isBuffer(v)) {
      this.pushObject(state, 'Bytes', () =>
        lua.lua_pushlightuserdata(L, Buffer.from(v))
      );
    } else if (v instanceof AsDouble) {
      if (Number.isInteger(v.value) && Math.abs(v.value) >= TWO_31) {
        this.ctx?.hints.set(v.value, v);
      }
      lua.lua_pushnumber(L, v.value);
    } else if (v instanceof AsGeoJSON || v instanceof AsHLL) {
      this.pushObject(state, 'Opaque', () => lua.lua_pushlightuserdata(L, v));
    } else if (Array.isArray(v)) {
      lua.lua_checkstack(L, 8);
      this.pushObject(state, 'List', () => {
        lua.lua_createtable(L, v.length, 1);
        v.forEach((item, i) => {
          this.push(state, item, depth + 1);
          lua.lua_rawseti(L, -2, i + 1);
        });
        lua.lua_pushinteger(L, v.length);
        lua.lua_setfield(L, -2, 'n');
      });
    } else if (v instanceof AsMap) {
      lua.lua_checkstack(L, 12);
      this.pushObject(state, 'Map', () => {
        lua.lua_createtable(L, 0, 4); // inner
        lua.lua_createtable(L, 0, v.entries.length); // t
        lua.lua_createtable(L, v.entries.length, 0); // k
        let n = 0;
        for (const [key, value] of v.entries) {
          if (key === null || value === null) continue;
          if (key instanceof AsDouble && Number.isNaN(key.value)) continue;
          this.push(state, key, depth + 1);
          lua.lua_pushvalue(L, -1);
          lua.lua_rawget(L, -4);
          const seen = lua.lua_type(L, -1) !== lua.LUA_TNIL;
          lua.lua_settop(L, -2);
          if (!seen) {
            n++;
            lua.lua_pushvalue(L, -1);
            lua.lua_rawseti(L, -3, n);
          }
          this.push(state, value, depth + 1);
          lua.lua_rawset(L, -4);
        }
        lua.lua_setfield(L, -3, 'k');
        lua.lua_setfield(L, -2, 't');
        lua.lua_pushinteger(L, n);
        lua.lua_setfield(L, -2, 'n');
        lua.lua_pushinteger(L, v.order);
        lua.lua_setfield(L, -2, 'o');
      });
    } else {
      lua.lua_pushnil(L);
    }
  }

  /** Pushes setmetatable({ [P] = <inner> }, <kind metatable>). */
  private pushObject(
    state: LuaModuleState,
    kind: 'List' | 'Map' | 'Bytes' | 'Opaque',
    pushInner: () => void
  ): void {
    const { L } = state;
    lua.lua_createtable(L, 0, 1);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, state.P);
    pushInner();
    lua.lua_rawset(L, -3);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, state.mt[kind]);
    lua.lua_setmetatable(L, -2);
  }

  private kindAt(L: LuaState, idx: number): TableKind {
    if (!lua.lua_getmetatable(L, idx)) return null;
    lua.lua_getfield(L, -1, '__name');
    const name = stringAt(L, -1);
    lua.lua_settop(L, -3);
    switch (name) {
      case 'List':
      case 'Map':
      case 'Bytes':
      case 'Opaque':
      case 'Record':
        return name;
      default:
        return null;
    }
  }

  /** Converts the Lua value at idx the way a real server's mod-lua does. */
  private toValue(state: LuaModuleState, idx: number, depth: number): Value {
    const { L } = state;
    if (depth > MAX_DEPTH) throw new Error('value nested too deeply');
    const at = lua.lua_absindex(L, idx);
    switch (lua.lua_type(L, at)) {
      case lua.LUA_TBOOLEAN:
        return lua.lua_toboolean(L, at);
      case lua.LUA_TNUMBER:
        return this.numberValue(L, at);
      case lua.LUA_TSTRING:
        return luaStringToJs(lua.lua_tolstring(L, at) ?? new Uint8Array(0));
      case lua.LUA_TTABLE:
        return this.tableValue(state, at, depth);
      default:
        // nil, functions, plain userdata, threads: no Aerospike value.
        return null;
    }
  }

  private numberValue(L: LuaState, at: number): Value {
    if (lua.lua_isinteger(L, at)) return lua.lua_tointeger(L, at);
    const n = lua.lua_tonumber(L, at);
    if (Number.isInteger(n) && Math.abs(n) >= TWO_31) {
      const hint = this.ctx?.hints.get(n);
      if (hint !== undefined) return hint;
      // fengari integers are 32-bit: integer arithmetic beyond that range
      // lands on floats, which Lua 5.4 on a real server keeps as integers.
      if (Math.abs(n) < TWO_63) {
        return Number.isSafeInteger(n) ? n : BigInt(n);
      }
    }
    return new AsDouble(n);
  }

  private tableValue(state: LuaModuleState, at: number, depth: number): Value {
    const { L } = state;
    const kind = this.kindAt(L, at);
    if (kind === null || kind === 'Record') return null;
    lua.lua_checkstack(L, 8);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, state.P);
    lua.lua_rawget(L, at);
    const inner = lua.lua_gettop(L);
    try {
      if (kind === 'Bytes' || kind === 'Opaque') {
        const v = lua.lua_touserdata(L, inner);
        if (Buffer.isBuffer(v)) return Buffer.from(v);
        if (v instanceof AsGeoJSON || v instanceof AsHLL) return v;
        return null;
      }
      if (lua.lua_type(L, inner) !== lua.LUA_TTABLE) return null;
      if (kind === 'List') {
        lua.lua_getfield(L, inner, 'n');
        const n = lua.lua_tointeger(L, -1);
        lua.lua_settop(L, inner);
        const out: Value[] = new Array(n);
        for (let i = 1; i <= n; i++) {
          lua.lua_rawgeti(L, inner, i);
          out[i - 1] = this.toValue(state, -1, depth + 1);
          lua.lua_settop(L, inner);
        }
        return out;
      }
      // Map
      lua.lua_getfield(L, inner, 'n');
      const n = lua.lua_tointeger(L, -1);
      lua.lua_getfield(L, inner, 'o');
      const order = lua.lua_tointeger(L, -1);
      lua.lua_getfield(L, inner, 't');
      const t = lua.lua_gettop(L);
      lua.lua_getfield(L, inner, 'k');
      const k = lua.lua_gettop(L);
      const entries: Array<[Value, Value]> = [];
      for (let i = 1; i <= n; i++) {
        lua.lua_rawgeti(L, k, i);
        const key = this.toValue(state, -1, depth + 1);
        lua.lua_rawget(L, t);
        const value = this.toValue(state, -1, depth + 1);
        lua.lua_settop(L, k);
        if (key !== null) entries.push([key, value]);
      }
      return new AsMap(entries, order);
    } finally {
      lua.lua_settop(L, inner - 1);
    }
  }
}

// ------------------------------------------------------------------ helpers

function stringAt(L: LuaState, idx: number): string | null {
  const t = lua.lua_type(L, idx);
  if (t !== lua.LUA_TSTRING && t !== lua.LUA_TNUMBER) return null;
  const s = lua.lua_tolstring(L, idx);
  return s === null ? null : luaStringToJs(s);
}

function bufferAt(L: LuaState, idx: number): Buffer {
  const v = lua.lua_touserdata(L, idx);
  return Buffer.isBuffer(v) ? v : Buffer.alloc(0);
}

/** The FAILURE message for a failed pcall (error value on top). */
function errorMessage(L: LuaState, module: string, fn: string): string {
  if (lua.lua_type(L, -1) === lua.LUA_TSTRING) {
    return stringAt(L, -1) ?? '';
  }
  return `${module}:0: in function ${fn}() - error() argument type not handled`;
}

/** What udf-put answers for a module that does not compile or load. */
function compileError(
  filename: string,
  problem: { message: string }
): UdfRegisterError {
  // mod-lua: `[string "f.lua"]:3: msg` -> file f.lua, line 3, msg; anything
  // else -> its first line (at most 256 characters), no file, line 0.
  const m = /^\[string "([^"]*)"\]:(\d+): ([\s\S]*)$/.exec(problem.message);
  const file = m ? m[1] : '';
  const line = m ? Number(m[2]) : 0;
  const message = m
    ? m[3]
    : problem.message.split('\n')[0].slice(0, 256) || problem.message;
  const info =
    `error=compile_error;file=${file};line=${line};message=` +
    Buffer.from(message).toString('base64');
  return new UdfRegisterError(
    `UDF ${filename} failed to compile: ${problem.message}`,
    info,
    file,
    line,
    message
  );
}

function finish(ctx: CallContext, result: Value): UdfOutcome {
  const outcome: UdfOutcome = { result };
  if (!ctx.hasUpdates) return outcome;
  if (ctx.bins.size === 0) {
    // Zero bins left: the real server deletes the record.
    if (ctx.record.exists) outcome.remove = true;
    return outcome;
  }
  outcome.write = { bins: ctx.bins };
  if (ctx.ttl !== undefined) outcome.write.ttl = ctx.ttl;
  return outcome;
}

function approxSize(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Buffer.isBuffer(v)) return v.length;
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + approxSize(x), 1);
  if (v instanceof AsMap) {
    return v.entries.reduce(
      (s, [k, x]) => s + approxSize(k) + approxSize(x),
      1
    );
  }
  if (v instanceof AsGeoJSON) return v.json.length;
  if (v instanceof AsHLL) return v.data.length;
  return 8;
}
