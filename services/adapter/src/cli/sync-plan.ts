import { z } from 'zod';

/** image-syncer's auth file: `{"registry.host:port": {"username","password","insecure"}}`. */
export const authFileSchema = z.record(
  z.string().min(1),
  z.object({ username: z.string().optional(), password: z.string().optional(), insecure: z.boolean().optional() }),
);
export type AuthFile = z.infer<typeof authFileSchema>;

/** image-syncer's images file: `{"src/repo:tag1,tag2": "dst/repo"}` or `{"src/repo": ["dst1/repo", "dst2/repo"]}`. */
export const imagesFileSchema = z.record(z.string().min(1), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]));
export type ImagesFile = z.infer<typeof imagesFileSchema>;

export interface ImageReference {
  /** `host[:port]`, or `http(s)://host[:port]` when the file spelled the scheme. */
  host: string;
  repository: string;
  /** Tags (several with `a,b`), or a digest; empty = every tag. */
  references: string[];
}

export class ImageReferenceError extends Error {
  constructor(reference: string, reason: string) {
    super(`${JSON.stringify(reference)}: ${reason}`);
    this.name = 'ImageReferenceError';
  }
}

/** `host:port/ns/repo:tag1,tag2`, `host/ns/repo@sha256:…`, `http://host:port/repo`; the host is required. */
export function parseImageReference(text: string): ImageReference {
  let rest = text.trim();
  let scheme = '';
  const schemeMatch = /^(https?:\/\/)/.exec(rest);
  if (schemeMatch) {
    scheme = schemeMatch[1]!;
    rest = rest.slice(scheme.length);
  }
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new ImageReferenceError(text, 'must start with a registry host (host[:port]/repository)');
  const host = rest.slice(0, slash);
  if (!scheme && !/[.:]/.test(host) && host !== 'localhost') throw new ImageReferenceError(text, 'must start with a registry host (host[:port]/repository)');
  let path = rest.slice(slash + 1);
  let references: string[] = [];
  const at = path.indexOf('@');
  if (at >= 0) {
    references = [path.slice(at + 1)];
    path = path.slice(0, at);
  } else {
    const colon = path.lastIndexOf(':');
    if (colon > path.lastIndexOf('/')) {
      references = path.slice(colon + 1).split(',').map((t) => t.trim()).filter(Boolean);
      path = path.slice(0, colon);
    }
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(path)) {
    throw new ImageReferenceError(text, 'has an invalid repository name');
  }
  return { host: `${scheme}${host}`, repository: path, references };
}

/** One source → destination pair of the images file. */
export interface SyncRule {
  source: ImageReference;
  destination: ImageReference;
}

export function rulesOf(images: ImagesFile): SyncRule[] {
  return Object.entries(images).flatMap(([source, targets]) =>
    (Array.isArray(targets) ? targets : [targets]).map((target) => {
      const parsedSource = parseImageReference(source);
      const destination = parseImageReference(target);
      if (destination.references.length > 0 && parsedSource.references.length !== 1) {
        throw new ImageReferenceError(target, 'may name a tag only when its source names exactly one');
      }
      return { source: parsedSource, destination };
    }),
  );
}

/** The credentials for a host: an exact `host:port` entry, else one for the host without scheme. */
export function authFor(auth: AuthFile, host: string): AuthFile[string] | undefined {
  const bare = host.replace(/^https?:\/\//, '');
  return auth[host] ?? auth[bare];
}
