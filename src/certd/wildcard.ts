/**
 * certd's certificate-ID patterns (the `wildmatch` crate's semantics): `*` stands for any run of characters, empty
 * included, `?` for exactly one character, everything else for itself. Case-sensitive, whole ID only.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  let pi = 0;
  let ti = 0;
  // Where the last `*` was, and how much of the text it has swallowed so far: backtrack there on a mismatch.
  let star = -1;
  let starTi = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === t[ti]))) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      starTi = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++starTi;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
