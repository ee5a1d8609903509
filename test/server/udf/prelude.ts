/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// The Lua side of the record-UDF runtime: Aerospike's `record`, `aerospike`,
// `list`, `map` and `bytes` APIs, written in Lua and loaded into every module's
// Lua state before the module itself. JavaScript is only reached through the
// native bridge table `N` (bin reads and writes, record metadata, bytes).
//
// Objects (List, Map, Bytes, opaque values) are tables whose only raw field is
// a private key `P` holding their internals, so user keys can never collide
// with them:
//   List:   obj[P] = { n = size, [1..n] = values }
//   Map:    obj[P] = { t = { key -> value }, k = { keys in order }, n, o }
//           (o = the Aerospike map order flag, kept for the way back)
//   Bytes:  obj[P] = <light userdata: a Node Buffer>
//   Opaque: obj[P] = <light userdata: a GeoJSON or HLL value>

export const PRELUDE = String.raw`
local N = ...
local type, rawget, rawequal, setmetatable, getmetatable, error, tostring,
      ipairs, select = type, rawget, rawequal, setmetatable, getmetatable,
      error, tostring, ipairs, select
local mtype, tointeger, concat = math.type, math.tointeger, table.concat
local G = _G

local P = {}
local NIL = setmetatable({}, { __tostring = function() return 'nil' end })

local function intkey(i)
  local t = mtype(i)
  if t == 'integer' then return i end
  if t == 'float' then return tointeger(i) end
  return nil
end

local function check(v, mt, fname, tname, argn)
  if getmetatable(v) ~= mt or rawget(v, P) == nil then
    error(string.format("bad argument #%d to '%s' (%s expected, got %s)",
      argn or 1, fname, tname, type(v)), 3)
  end
  return rawget(v, P)
end

------------------------------------------------------------------------------
-- List
------------------------------------------------------------------------------
local List = { __name = 'List' }

local function newlist(inner)
  return setmetatable({ [P] = inner }, List)
end

List.__index = function(l, i)
  local k = intkey(i)
  if k == nil then return nil end
  return rawget(l, P)[k]
end

List.__newindex = function(l, i, v)
  local k = intkey(i)
  if k == nil or k < 1 then
    error('list index must be a positive integer', 2)
  end
  local inner = rawget(l, P)
  inner[k] = v
  if k > inner.n then inner.n = k end
end

List.__len = function(l) return rawget(l, P).n end

List.__pairs = function(l)
  local inner, i = rawget(l, P), 0
  return function()
    i = i + 1
    if i <= inner.n then return i, inner[i] end
  end, l, nil
end

List.__tostring = function(l)
  local inner, parts = rawget(l, P), {}
  for i = 1, inner.n do parts[i] = tostring(inner[i]) end
  return 'List(' .. concat(parts, ', ') .. ')'
end

local list = {}

function list.create(capacity)
  return newlist({ n = 0 })
end

function list.size(l) return check(l, List, 'size', 'List').n end

function list.append(l, v)
  local inner = check(l, List, 'append', 'List')
  inner.n = inner.n + 1
  inner[inner.n] = v
  return l
end

function list.prepend(l, v)
  local inner = check(l, List, 'prepend', 'List')
  for i = inner.n, 1, -1 do inner[i + 1] = inner[i] end
  inner[1] = v
  inner.n = inner.n + 1
  return l
end

function list.insert(l, pos, v)
  local inner = check(l, List, 'insert', 'List')
  local p = intkey(pos)
  if p == nil or p < 1 then error('list.insert: invalid position', 2) end
  if p > inner.n then
    inner[p] = v
    inner.n = p
    return l
  end
  for i = inner.n, p, -1 do inner[i + 1] = inner[i] end
  inner[p] = v
  inner.n = inner.n + 1
  return l
end

function list.remove(l, pos)
  local inner = check(l, List, 'remove', 'List')
  local p = intkey(pos)
  if p == nil or p < 1 or p > inner.n then return l end
  for i = p, inner.n - 1 do inner[i] = inner[i + 1] end
  inner[inner.n] = nil
  inner.n = inner.n - 1
  return l
end

local function slice(inner, from, to)
  local out, n = { n = 0 }, 0
  for i = from, to do
    n = n + 1
    out[n] = inner[i]
  end
  out.n = n
  return newlist(out)
end

function list.take(l, count)
  local inner = check(l, List, 'take', 'List')
  local c = intkey(count) or 0
  if c > inner.n then c = inner.n end
  return slice(inner, 1, c)
end

function list.drop(l, count)
  local inner = check(l, List, 'drop', 'List')
  local c = intkey(count) or 0
  if c < 0 then c = 0 end
  return slice(inner, c + 1, inner.n)
end

-- Removes all elements at and beyond position pos.
function list.trim(l, pos)
  local inner = check(l, List, 'trim', 'List')
  local p = intkey(pos) or 1
  if p < 1 then p = 1 end
  for i = p, inner.n do inner[i] = nil end
  if p - 1 < inner.n then inner.n = p - 1 end
  return l
end

function list.clone(l)
  local inner = check(l, List, 'clone', 'List')
  return slice(inner, 1, inner.n)
end

function list.concat(l, other)
  local inner = check(l, List, 'concat', 'List')
  local o = check(other, List, 'concat', 'List', 2)
  local n = inner.n
  for i = 1, o.n do inner[n + i] = o[i] end
  inner.n = n + o.n
  return l
end

function list.merge(l, other)
  local out = list.clone(l)
  return list.concat(out, other)
end

function list.iterator(l)
  local inner, i = check(l, List, 'iterator', 'List'), 0
  return function()
    i = i + 1
    if i <= inner.n then return inner[i] end
  end
end

setmetatable(list, {
  __call = function(_, t)
    local inner = { n = 0 }
    if type(t) == 'table' then
      local n = 0
      for i, v in ipairs(t) do
        inner[i] = v
        n = i
      end
      inner.n = n
    end
    return newlist(inner)
  end,
})

------------------------------------------------------------------------------
-- Map
------------------------------------------------------------------------------
local Map = { __name = 'Map' }

local function newmap(order)
  return setmetatable({ [P] = { t = {}, k = {}, n = 0, o = order or 0 } }, Map)
end

local function mapset(inner, k, v)
  if k == nil or k ~= k then error('invalid map key', 3) end
  local t = inner.t
  if v == nil then
    if t[k] ~= nil then
      t[k] = nil
      local keys = inner.k
      for i = 1, inner.n do
        if rawequal(keys[i], k) or keys[i] == k then
          table.remove(keys, i)
          break
        end
      end
      inner.n = inner.n - 1
    end
    return
  end
  if t[k] == nil then
    inner.n = inner.n + 1
    inner.k[inner.n] = k
  end
  t[k] = v
end

Map.__index = function(m, k)
  if k == nil or k ~= k then return nil end
  return rawget(m, P).t[k]
end

Map.__newindex = function(m, k, v) mapset(rawget(m, P), k, v) end

Map.__len = function(m) return rawget(m, P).n end

local function mappairs(inner)
  local i = 0
  return function()
    i = i + 1
    local k = inner.k[i]
    if k ~= nil then return k, inner.t[k] end
  end
end

Map.__pairs = function(m) return mappairs(rawget(m, P)), m, nil end

Map.__tostring = function(m)
  local inner, parts = rawget(m, P), {}
  for i = 1, inner.n do
    local k = inner.k[i]
    parts[i] = tostring(k) .. '=' .. tostring(inner.t[k])
  end
  return 'Map(' .. concat(parts, ', ') .. ')'
end

local map = {}

function map.create(capacity) return newmap(0) end

function map.size(m) return check(m, Map, 'size', 'Map').n end

function map.pairs(m) return mappairs(check(m, Map, 'pairs', 'Map')) end

map.iterator = map.pairs

function map.keys(m)
  local inner, i = check(m, Map, 'keys', 'Map'), 0
  return function()
    i = i + 1
    return inner.k[i]
  end
end

function map.values(m)
  local inner, i = check(m, Map, 'values', 'Map'), 0
  return function()
    i = i + 1
    local k = inner.k[i]
    if k ~= nil then return inner.t[k] end
  end
end

function map.remove(m, k)
  mapset(check(m, Map, 'remove', 'Map'), k, nil)
  return m
end

function map.clone(m)
  local inner = check(m, Map, 'clone', 'Map')
  local out = newmap(inner.o)
  local oi = rawget(out, P)
  for i = 1, inner.n do
    local k = inner.k[i]
    mapset(oi, k, inner.t[k])
  end
  return out
end

-- New map with the entries of both; f(v1, v2) resolves keys present in both.
function map.merge(m1, m2, f)
  local out = map.clone(m1)
  local oi = rawget(out, P)
  local i2 = check(m2, Map, 'merge', 'Map', 2)
  for i = 1, i2.n do
    local k = i2.k[i]
    local v = i2.t[k]
    local old = oi.t[k]
    if old ~= nil and f ~= nil then v = f(old, v) end
    mapset(oi, k, v)
  end
  return out
end

-- New map with the entries of m1 whose keys are not in m2, and vice versa.
function map.diff(m1, m2)
  local i1 = check(m1, Map, 'diff', 'Map')
  local i2 = check(m2, Map, 'diff', 'Map', 2)
  local out = newmap(i1.o)
  local oi = rawget(out, P)
  for i = 1, i1.n do
    local k = i1.k[i]
    if i2.t[k] == nil then mapset(oi, k, i1.t[k]) end
  end
  for i = 1, i2.n do
    local k = i2.k[i]
    if i1.t[k] == nil then mapset(oi, k, i2.t[k]) end
  end
  return out
end

setmetatable(map, {
  __call = function(_, t)
    local m = newmap(0)
    if type(t) == 'table' then
      local inner = rawget(m, P)
      for k, v in pairs(t) do mapset(inner, k, v) end
    end
    return m
  end,
})

------------------------------------------------------------------------------
-- Bytes and opaque values (GeoJSON, HLL)
------------------------------------------------------------------------------
local Bytes = { __name = 'Bytes' }

local function newbytes(buf) return setmetatable({ [P] = buf }, Bytes) end

Bytes.__index = function(b, i)
  local k = intkey(i)
  if k == nil then return nil end
  return N.bytes_get(rawget(b, P), k)
end

Bytes.__newindex = function(b, i, v)
  local k = intkey(i)
  if k == nil or k < 1 then error('bytes index must be a positive integer', 2) end
  b[P] = N.bytes_set(rawget(b, P), k, v)
end

Bytes.__len = function(b) return N.bytes_len(rawget(b, P)) end
Bytes.__tostring = function(b) return N.bytes_str(rawget(b, P)) end

local bytes = {}
function bytes.size(b) return N.bytes_len(check(b, Bytes, 'size', 'Bytes')) end
function bytes.get_byte(b, i) return b[i] end
function bytes.set_byte(b, i, v)
  check(b, Bytes, 'set_byte', 'Bytes')
  b[i] = v
  return true
end
function bytes.get_string(b, pos, len)
  return N.bytes_sub(check(b, Bytes, 'get_string', 'Bytes'), pos or 1, len)
end
setmetatable(bytes, {
  __call = function(_, size) return newbytes(N.bytes_new(size or 0)) end,
})

local Opaque = { __name = 'Opaque' }
Opaque.__tostring = function(o) return N.opaque_str(rawget(o, P)) end

------------------------------------------------------------------------------
-- Record and aerospike
------------------------------------------------------------------------------
local Record = { __name = 'Record' }
local REC = setmetatable({}, Record)

-- Per-call state, reset by invoke().
local cache, dirty, dirtylist, dirtyn, exists = {}, {}, {}, 0, false

local function binname(name)
  if type(name) == 'number' then name = tostring(name) end
  if type(name) ~= 'string' or #name == 0 or #name > 15 then return nil end
  return name
end

Record.__index = function(r, name)
  name = binname(name)
  if name == nil then return nil end
  local v = cache[name]
  if v == nil then
    if not exists then return nil end
    v = N.getbin(name)
    if v == nil then return nil end
    cache[name] = v
    return v
  end
  if v == NIL then return nil end
  return v
end

Record.__newindex = function(r, name, v)
  name = binname(name)
  if name == nil then return end
  if v == nil then v = NIL end
  if not dirty[name] then
    dirty[name] = true
    dirtyn = dirtyn + 1
    dirtylist[dirtyn] = name
  end
  cache[name] = v
end

Record.__tostring = function() return 'Record()' end

local function checkrec(r, fname)
  if not rawequal(r, REC) then
    error(string.format(
      "bad argument #1 to '%s' (Record expected, got %s)", fname, type(r)), 3)
  end
end

local function execute()
  for i = 1, dirtyn do
    local name = dirtylist[i]
    local v = cache[name]
    if v == NIL then
      N.setbin(name, nil)
      cache[name] = nil
    else
      N.setbin(name, v)
    end
  end
  dirty, dirtylist, dirtyn = {}, {}, 0
  N.touch()
  return 0
end

local Aerospike = { __name = 'Aerospike' }
Aerospike.__index = Aerospike

function Aerospike.exists(self, r)
  checkrec(r, 'exists')
  return exists
end

function Aerospike.update(self, r)
  checkrec(r, 'update')
  if not exists then return -2 end
  return execute()
end

function Aerospike.create(self, r)
  checkrec(r, 'create')
  if exists then
    if N.numbins() ~= 0 then return 1 end
    return execute()
  end
  exists = true
  N.create()
  return execute()
end

function Aerospike.remove(self, r)
  checkrec(r, 'remove')
  if not exists then return 1 end
  cache, dirty, dirtylist, dirtyn = {}, {}, {}, 0
  N.removeall()
  return 0
end

function Aerospike.log(self, level, msg)
  N.log(level, tostring(msg))
  return 0
end

function Aerospike.get_current_time(self) return N.now() end

local record = {}
function record.ttl(r) checkrec(r, 'ttl') return N.ttl() end
function record.gen(r) checkrec(r, 'gen') return N.gen() end
function record.digest(r) checkrec(r, 'digest') return N.digest() end
function record.setname(r) checkrec(r, 'setname') return N.setname() end
function record.key(r) checkrec(r, 'key') return N.key() end
function record.bin_names(r) checkrec(r, 'bin_names') return N.bin_names() end
function record.numbins(r) checkrec(r, 'numbins') return N.numbins() end
function record.last_update_time(r)
  checkrec(r, 'last_update_time')
  return N.last_update_time()
end
function record.size(r) checkrec(r, 'size') return N.size() end
record.memory_size = record.size
record.device_size = record.size
function record.set_ttl(r, ttl)
  checkrec(r, 'set_ttl')
  N.set_ttl(ttl)
  return 0
end
function record.drop_key(r) checkrec(r, 'drop_key') return 0 end

------------------------------------------------------------------------------
-- Globals and the entry point
------------------------------------------------------------------------------
G.list = list
G.map = map
G.bytes = bytes
G.record = record
G.aerospike = setmetatable({}, Aerospike)

local function logf(level)
  return function(m, ...)
    if select('#', ...) > 0 then m = string.format(m, ...) end
    N.log(level, tostring(m))
    return 0
  end
end
G.trace = logf(4)
G.debug = logf(3)
G.info = logf(2)
G.warn = logf(1)

-- Globals a UDF creates live for one call only (a real server runs each call
-- in a fresh sandbox environment): seal() is called once the module loaded.
local percall = {}
local function seal()
  setmetatable(G, {
    __index = function(_, k) return percall[k] end,
    __newindex = function(_, k, v) percall[k] = v end,
  })
end

-- invoke(fname, exists, ...): runs a module function on the current record.
local function invoke(fname, ex, ...)
  cache, dirty, dirtylist, dirtyn, exists = {}, {}, {}, 0, ex
  percall = {}
  local f = rawget(G, fname)
  if f == nil then error('function not found', 0) end
  return f(REC, ...)
end

return {
  P = P,
  List = List,
  Map = Map,
  Bytes = Bytes,
  Opaque = Opaque,
  invoke = invoke,
  seal = seal,
}
`;
