const URL_WITH_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(?::([^\s/@]*))?@/gi;

/** Replaces the password in every URL inside `text` (`redis://user:secret@host` → `redis://user:***@host`). */
export function redactUrl(text: string): string {
  return text.replace(URL_WITH_CREDENTIALS, (_match, scheme: string, user: string, password?: string) =>
    password === undefined ? (user === '' ? `${scheme}@` : `${scheme}***@`) : `${scheme}${user}:***@`,
  );
}
