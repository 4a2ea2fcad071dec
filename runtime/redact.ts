// Credentials out of what is shown: a URL's password and password parameters are masked.

/** What a secret is shown as. */
export const MASK = '*****';

/** `url` with its password (in the authority or a `password` parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = MASK;
    for (const key of [...u.searchParams.keys()]) {
      if (/pass/i.test(key)) u.searchParams.set(key, MASK);
    }
    return u.toString();
  } catch {
    // Not a URL: still hide anything shaped like `user:password@` or `password=…`.
    return url.replace(/(\/\/[^/:@]*:)[^@]*@/, `$1${MASK}@`).replace(/(pass\w*=)[^&\s]*/gi, `$1${MASK}`);
  }
}
