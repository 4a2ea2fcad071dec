// Kubernetes resource quantities (100m, 1.5Gi, 2e3) as exact fractions, for the quantity
// functions of the CEL library in cel-k8s.ts. Exact, because rules compare them: 0.1 and 100m
// must be equal, and 1Gi must be more than 1000Mi, which floating point does not promise.

/** A Kubernetes resource quantity as an exact fraction num/den (den > 0). */
export interface Quantity {
  readonly num: bigint;
  readonly den: bigint;
}

const DECIMAL_SI: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SI: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** Parses a quantity as Kubernetes does (100m, 1.5Gi, 2e3); undefined when it is not one. */
export function parseQuantity(s: string): Quantity | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(s);
  if (!m) return undefined;
  const [, sign, whole = '', frac = '', suffix = ''] = m;
  if (whole === '' && frac === '') return undefined;
  let num = BigInt(`${whole}${frac}` || '0') * (sign === '-' ? -1n : 1n);
  let den = 10n ** BigInt(frac.length);
  if (suffix in BINARY_SI) num *= 2n ** BigInt(BINARY_SI[suffix]!);
  else {
    const exp = suffix in DECIMAL_SI ? DECIMAL_SI[suffix]! : Number(suffix.slice(1));
    // Bounded so that an exponent such as 1e999999999 cannot make the fraction's digits explode.
    if (Math.abs(exp) > 1000) return undefined;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  const g = gcd(num < 0n ? -num : num, den);
  return { num: num / g, den: den / g };
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}
