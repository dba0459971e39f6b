/** Variables whose value is a secret: never printed, whatever is wrong with them. */
export function isSecretName(name: string): boolean {
  return /(PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|CREDENTIALS?|PRIVATE_KEY|API_KEY|(^|_)KEY$)/i.test(name);
}

/**
 * Masks credentials inside anything URL-like, even when it does not parse as a URL:
 * `postgres://app:s3cret@db/x` → `postgres://app:***@db/x`, `?password=s3cret` → `?password=***`.
 */
export function redactUrl(text: string): string {
  return text
    .replace(/\/\/([^/@:\s]*):([^/@\s]*)@/g, '//$1:***@')
    .replace(/([?&;](?:password|passwd|pass|token|secret|key|sslpassword)=)[^&;\s]*/gi, '$1***');
}
