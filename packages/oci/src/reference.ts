/** Repository name grammar of the distribution spec ("Pulling manifests"). */
export const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Clients limit `host/name` to 255 characters; the name alone never exceeds that. */
export const MAX_REPOSITORY_NAME_LENGTH = 255;

/** Tag grammar of the distribution spec: at most 128 characters. */
export const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isValidRepositoryName(name: string): boolean {
  return typeof name === 'string' && name.length <= MAX_REPOSITORY_NAME_LENGTH && REPOSITORY_NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return typeof tag === 'string' && TAG.test(tag);
}

/**
 * The referrers tag of a digest (distribution spec "Referrers Tag Schema"): the algorithm
 * truncated to 32 characters, `-`, the encoded part truncated to 64, with every character
 * a tag may not hold replaced by `-`.
 */
export function referrersTag(digest: string): string {
  const separator = digest.indexOf(':');
  const algorithm = digest.slice(0, separator).slice(0, 32);
  const encoded = digest.slice(separator + 1).slice(0, 64);
  return `${algorithm}-${encoded}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}
