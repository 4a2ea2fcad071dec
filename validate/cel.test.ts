import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CelEvalError, CelUnsupported, compileCel } from './cel-program.ts';
import { re2 } from './cel-k8s.ts';
import { parseQuantity } from './quantity.ts';

const run = (rule: string, self: unknown): unknown => compileCel(rule).evaluate({ self });

describe('CEL through @bufbuild/cel', () => {
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
    assert.equal(run("b'abc' == b'\\x61bc'", null), true, 'bytes literals');
  });

  test('field selection, has() and a missing key', () => {
    assert.equal(run('has(self.a) && self.a.b == 1', { a: { b: 1 } }), true);
    assert.equal(run('has(self.x)', { a: 1 }), false);
    assert.throws(() => run('self.x == 1', { a: 1 }), CelEvalError);
    assert.throws(() => run('self.x == 1', { a: 1 }), /^CelEvalError: no such key: x$/, "in cel-go's words");
  });

  test('|| and && absorb an error when the other side decides, in either order', () => {
    assert.equal(run('self.missing == 1 || true', {}), true);
    assert.equal(run('true || self.missing == 1', {}), true);
    assert.equal(run('self.missing == 1 && false', {}), false);
    assert.throws(() => run('self.missing == 1 || false', {}), /no such key: missing/);
    assert.throws(() => run('1 || false', {}), CelEvalError, 'a non-boolean operand is an error, not false');
    assert.throws(() => run('1 && true', {}), CelEvalError, 'a non-boolean operand is an error, not true');
    // As in cel-go at run time: a true operand decides even beside a non-boolean one (Kubernetes'
    // type checker refuses such a rule when the CRD is created; there is none in ours).
    assert.equal(run('1 || true', {}), true);
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
    assert.equal(run('self.all(p, p.n == "b")', [{}, { n: 'a' }]), false, 'all() absorbs an error when one is false');
    assert.throws(() => run('self.all(p, p.n == "b")', [{}, { n: 'b' }]), /no such key: n/);
  });

  test('in, size and conversions', () => {
    assert.equal(run("self in ['@daily', '@hourly']", '@daily'), true);
    assert.equal(run("'a' in self", { a: 1 }), true);
    assert.equal(run('size(self) == 3 && self.size() == 3', 'abc'), true);
    assert.equal(run('self.size()', 'héllo😀'), 6, 'code points, not UTF-16 units');
    assert.equal(run("int('05') + 1", null), 6);
    assert.throws(() => run("int('x')", null), CelEvalError);
  });

  test('integers are int and, where the schema says number, double', () => {
    assert.equal(compileCel('self / 2').evaluate({ self: 7 }), 3);
    assert.equal(compileCel('self / 2.0').evaluate({ self: 7 }, { type: 'number' }), 3.5);
    assert.throws(() => compileCel('self + 0.5').evaluate({ self: 1 }), CelEvalError, 'int + double has no overload');
    const schema = { type: 'object', properties: { ratio: { type: 'number' } } };
    assert.equal(
      compileCel('self.ratio + 0.5 == 1.5 && self.n + 1 == 3').evaluate({ self: { ratio: 1, n: 2 } }, schema),
      true,
    );
  });

  test('string functions from CEL and the Kubernetes library', () => {
    assert.equal(run("self.startsWith('@') && self.endsWith('y') && self.contains('ll')", '@yearlly'), true);
    assert.equal(run("self.lowerAscii() == 'local'", 'LoCaL'), true);
    assert.equal(run('self.lowerAscii()', 'ÀB\u212a'), 'Àb\u212a', 'ASCII letters only');
    assert.deepEqual(run("self.split('-')", '1-5'), ['1', '5']);
    assert.deepEqual(run("self.split('-', 2)", 'a-b-c'), ['a', 'b-c'], "Go's SplitN: the last part keeps the rest");
    assert.deepEqual(run("self.split('-', 0)", 'a-b'), []);
    assert.deepEqual(run("self.findAll(r'\\b[0-9]{1,3}-[0-9]{1,3}\\b')", '5-1 * 1-3 * *'), ['5-1', '1-3']);
    assert.deepEqual(run("self.findAll('[0-9]+', 1)", 'a1b22c333'), ['1']);
    assert.deepEqual(run("self.findAll('x')", 'abc'), []);
    assert.equal(run("self.find('[0-9]+')", 'ab12c'), '12');
    assert.equal(run("self.find('x')", 'abc'), '');
    assert.equal(run('self.substring(1, 3)', 'héllo'), 'él');
    assert.equal(run("self.indexOf('l')", 'héllo'), 2);
    assert.equal(run("self.replace('a', 'b')", 'aaa'), 'bbb');
    assert.equal(run('self.trim()', '  x '), 'x');
    assert.equal(run("['a', 'b'].join('-')", null), 'a-b');
  });

  test('regular expressions have RE2 semantics', () => {
    assert.equal(run("self.matches('[a-z]')", '80a'), true, 'matches() searches, unanchored');
    assert.equal(run("matches(self, '^a+$')", 'aa'), true, 'also as a global function');
    assert.equal(run("self.matches('(?i)^sun$')", '\u017fun'), true, "Unicode case folding, as Go's regexp");
    assert.throws(() => run('self.x.matches(self.p)', { x: 'a', p: '(' }), CelEvalError, 'a bad pattern from data');
  });

  test('quantity functions compare exactly', () => {
    assert.equal(run("quantity(self).compareTo(quantity('1000m')) == 0", '1'), true);
    assert.equal(run("quantity('1Gi').isGreaterThan(quantity('1000Mi'))", null), true);
    assert.equal(run("quantity('2e3').compareTo(quantity('2k'))", null), 0);
    assert.equal(run("quantity('50M').compareTo(quantity('50Mi'))", null), -1);
    assert.equal(run("quantity('0.1').isLessThan(quantity('101m'))", null), true);
    assert.equal(run("quantity('1') == quantity('1000m')", null), true, 'equal values are equal quantities');
    assert.equal(run('isQuantity(self)', '64 MB'), false);
    assert.throws(() => run('quantity(self)', 'lots'), CelEvalError);
    assert.throws(() => run("quantity('1').compareTo(1)", null), CelEvalError, 'no such overload');
  });

  test('a rule the environment cannot run is refused when compiled, not passed', () => {
    for (const rule of [
      "url(self).getHost() == 'x'",
      'self.isURL()',
      'self.matches(',
      'self ^ 2',
      "self.matches('(?=x)')",
      "self.findAll('(a')",
      'has(self)',
      'Pod{name: self}',
    ]) {
      assert.throws(() => compileCel(rule), CelUnsupported, rule);
    }
    assert.throws(() => compileCel("url(self).getHost() == 'x'"), /function url\(\) is not supported/);
  });

  test('the variables a rule reads (transition rules read oldSelf)', () => {
    assert.deepEqual([...compileCel('self == oldSelf').variables].sort(), ['oldSelf', 'self']);
    assert.deepEqual([...compileCel('self.all(x, x > 0)').variables], ['self'], 'macro variables are bound');
    assert.deepEqual([...compileCel('self.map(x, x + 1).exists(y, y > x)').variables].sort(), ['self', 'x']);
  });
});

describe('RE2 patterns through re2js', () => {
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
    assert.ok(!re2('^a\\sb$').test('a\vb'), 'not even \\v');
    assert.ok(re2('^\\S+$').test('abc'));
  });

  test('named groups, \\A and \\z', () => {
    assert.ok(re2('\\A(?P<n>[0-9]+)\\z').test('42'));
    assert.ok(!re2('\\A[0-9]+\\z').test('42x'));
  });

  test("what RE2 has and JavaScript's RegExp lacks works; what RE2 lacks is refused", () => {
    assert.ok(re2('^\\pL+$').test('héllo'));
    assert.ok(re2('^\\Q.*\\E$').test('.*') && !re2('^\\Q.*\\E$').test('ab'));
    assert.ok(re2('^[[:alpha:]]+$').test('abc'));
    assert.equal(re2('(?U)a+').re2().find('aaa'), 'a', 'ungreedy');
    for (const p of ['(?=x)', '(?<=x)y', '(a)\\1']) assert.throws(() => re2(p), p);
  });

  test("findAll follows Go's FindAllString, empty matches included", () => {
    assert.deepEqual(run("self.findAll('[0-9]*')", '123 abc 456'), ['123', '', '', '', '', '456']);
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
