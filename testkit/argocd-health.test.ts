// Unit tests of the JSON → Lua converter that feeds objects to health.lua (no interpreter
// needed; e2e/gitops runs the script itself).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { luaLiteral } from './argocd-health.ts';

test('scalars', () => {
  assert.equal(luaLiteral(null), 'nil');
  assert.equal(luaLiteral(undefined), 'nil');
  assert.equal(luaLiteral(true), 'true');
  assert.equal(luaLiteral(42), '42');
  assert.equal(luaLiteral(0.5), '0.5');
  assert.equal(luaLiteral(new Date('2024-05-06T07:08:09Z')), '"2024-05-06T07:08:09.000Z"');
  assert.throws(() => luaLiteral(Number.NaN), /no JSON form/);
});

test('strings escape quotes, backslashes and control characters; other text stays as it is', () => {
  assert.equal(luaLiteral('say "hi"\\'), '"say \\"hi\\"\\\\"');
  assert.equal(luaLiteral('a\nb\tc\u0001'), '"a\\nb\\009c\\001"');
  assert.equal(luaLiteral('spec.template: Ünïcode ✓'), '"spec.template: Ünïcode ✓"');
});

test('objects are string-keyed tables, arrays sequences; undefined members are left out', () => {
  assert.equal(
    luaLiteral({ kind: 'X', 'a.b/c': [1, { t: 'R' }], gone: undefined }),
    '{["kind"] = "X", ["a.b/c"] = {1, {["t"] = "R"}}}',
  );
  assert.equal(luaLiteral([]), '{}');
});
