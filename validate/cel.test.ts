import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CelEvalError, CelUnsupported, compileCel } from './cel.ts';
import { parseQuantity, re2 } from './cel-lib.ts';

const run = (rule: string, self: unknown): unknown => compileCel(rule).evaluate({ self });

describe('CEL subset', () => {
  test('literals, arithmetic, comparison and the ternary operator', () => {
    assert.equal(run('1 + 2 * 3 == 7', null), true);
    assert.equal(run('7 / 2', null), 3, 'integer division truncates');
    assert.equal(run("'a' + \"b\" == 'ab'", null), true);
    assert.equal(run('self > 3 ? "big" : "small"', 5), 'big');
    assert.equal(run('-self', 4), -4);
    assert.deepEqual(run('[1, 2] + [3]', null), [1, 2, 3]);
    assert.equal(run("{'a': 1}['a']", null), 1);
    assert.equal(run("r'\\d' == '\\\\d'", null), true, 'raw strings keep backslashes');
    assert.equal(run("'\\x41\\u00e9\\n' == 'A\u00e9\\n'", null), true);
  });

  test('field selection, has() and a missing key', () => {
    assert.equal(run('has(self.a) && self.a.b == 1', { a: { b: 1 } }), true);
    assert.equal(run('has(self.x)', { a: 1 }), false);
    assert.throws(() => run('self.x == 1', { a: 1 }), CelEvalError);
  });

  test('|| and && absorb an error when the other side decides, in either order', () => {
    assert.equal(run('self.missing == 1 || true', {}), true);
    assert.equal(run('true || self.missing == 1', {}), true);
    assert.equal(run('self.missing == 1 && false', {}), false);
    assert.throws(() => run('self.missing == 1 || false', {}), /no such key: missing/);
    assert.throws(() => run('1 || true', {}), CelEvalError, 'a non-boolean operand is an error, not true');
  });

  test('macros: all, exists, exists_one, map, filter', () => {
    const ports = [{ n: 'a' }, { n: 'b' }, { n: 'a' }];
    assert.equal(run('self.all(p, self.exists_one(q, q.n == p.n))', ports), false);
    assert.equal(run('self.all(p, self.exists_one(q, q.n == p.n))', ports.slice(0, 2)), true);
    assert.equal(run("self.exists(p, p.n == 'b')", ports), true);
    assert.deepEqual(run('self.map(p, p.n)', ports), ['a', 'b', 'a']);
    assert.equal(run("self.filter(p, p.n == 'a').size()", ports), 2);
    assert.equal(run("self.all(k, k != 'z')", { a: 1, b: 2 }), true, 'over a map: its keys');
    assert.equal(run('self.all(p, p.n == "b")', []), true);
  });

  test('in, size and conversions', () => {
    assert.equal(run("self in ['@daily', '@hourly']", '@daily'), true);
    assert.equal(run("'a' in self", { a: 1 }), true);
    assert.equal(run('size(self) == 3 && self.size() == 3', 'abc'), true);
    assert.equal(run("int('05') + 1", null), 6);
    assert.throws(() => run("int('x')", null), CelEvalError);
  });

  test('string functions from CEL and the Kubernetes library', () => {
    assert.equal(run("self.startsWith('@') && self.endsWith('y') && self.contains('ll')", '@yearlly'), true);
    assert.equal(run("self.lowerAscii() == 'local'", 'LoCaL'), true);
    assert.deepEqual(run("self.split('-')", '1-5'), ['1', '5']);
    assert.deepEqual(run("self.split('-', 2)", 'a-b-c'), ['a', 'b-c']);
    assert.deepEqual(run("self.findAll(r'\\b[0-9]{1,3}-[0-9]{1,3}\\b')", '5-1 * 1-3 * *'), ['5-1', '1-3']);
    assert.equal(run("self.find('[0-9]+')", 'ab12c'), '12');
    assert.equal(run('self.substring(1, 3)', 'héllo'), 'él');
    assert.equal(run("self.indexOf('l')", 'héllo'), 2);
    assert.equal(run("self.replace('a', 'b')", 'aaa'), 'bbb');
    assert.equal(run('self.trim()', '  x '), 'x');
    assert.equal(run("['a', 'b'].join('-')", null), 'a-b');
  });

  test('quantity functions compare exactly', () => {
    assert.equal(run("quantity(self).compareTo(quantity('1000m')) == 0", '1'), true);
    assert.equal(run("quantity('1Gi').isGreaterThan(quantity('1000Mi'))", null), true);
    assert.equal(run("quantity('2e3').compareTo(quantity('2k'))", null), 0);
    assert.equal(run("quantity('0.1').isLessThan(quantity('101m'))", null), true);
    assert.equal(run('isQuantity(self)', '64 MB'), false);
    assert.throws(() => run('quantity(self)', 'lots'), CelEvalError);
  });

  test('a rule outside the subset is refused when compiled, not passed', () => {
    for (const rule of ["url(self).getHost() == 'x'", "b'abc' == self", 'self.matches(', 'self ^ 2']) {
      assert.throws(() => compileCel(rule), CelUnsupported, rule);
    }
  });

  test('the variables a rule reads (transition rules read oldSelf)', () => {
    assert.deepEqual([...compileCel('self == oldSelf').variables].sort(), ['oldSelf', 'self']);
    assert.deepEqual([...compileCel('self.all(x, x > 0)').variables], ['self'], 'macro variables are bound');
  });
});

describe('RE2 patterns as JavaScript regular expressions', () => {
  test('scoped (?i:…) groups fold case only inside the group', () => {
    const re = re2('^(?i:jan|feb)-[0-9]$');
    assert.ok(re.test('JAN-1') && re.test('Feb-2'));
    assert.ok(!re2('^x(?i:a)$').test('Xa'), 'outside the group case matters');
    assert.ok(re2('^(?i:[a-c]x)$').test('BX'), 'character classes fold too');
  });

  test('a leading (?i) flag applies to the whole pattern', () => {
    assert.ok(re2('(?i)\\b(fri-mon)\\b').test('0 0 * * Fri-Mon'));
  });

  test('\\s is ASCII white space only, as in RE2', () => {
    assert.ok(re2('^a\\sb$').test('a\tb'));
    assert.ok(!re2('^a\\sb$').test('a\u00a0b'));
    assert.ok(re2('^\\S+$').test('abc'));
  });

  test('named groups, \\A and \\z', () => {
    assert.ok(re2('\\A(?P<n>[0-9]+)\\z').test('42'));
    assert.ok(!re2('\\A[0-9]+\\z').test('42x'));
  });

  test('what it cannot translate is refused', () => {
    for (const p of ['\\pL', '\\Q.\\E', '[[:alpha:]]', '(?=x)', '(?U)a+'])
      assert.throws(() => re2(p), CelUnsupported, p);
  });
});

describe('Kubernetes quantities', () => {
  test('valid forms', () => {
    for (const q of [
      '1',
      '100m',
      '0.5',
      '.5',
      '1.',
      '64Mi',
      '1Gi',
      '2e3',
      '1E-3',
      '+1',
      '-1',
      '1k',
      '1M',
      '5n',
      '7u',
      '3Ei',
    ]) {
      assert.ok(parseQuantity(q), q);
    }
  });

  test('invalid forms', () => {
    for (const q of ['', 'lots', '64 MB', '1.5.5', 'Mi', '1mi', '1KB', '.', '1e', '--1', '1Gi '])
      assert.equal(parseQuantity(q), undefined, q);
  });

  test('exact values', () => {
    const v = (s: string): number => {
      const q = parseQuantity(s)!;
      return Number(q.num) / Number(q.den);
    };
    assert.equal(v('1Ki'), 1024);
    assert.equal(v('250m'), 0.25);
    assert.equal(v('1.5k'), 1500);
    assert.equal(v('-2e-3'), -0.002);
  });
});
