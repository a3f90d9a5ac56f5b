/** Media types the registry understands (OCI image-spec media-types.md, Docker image manifest v2). */
export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  OciLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerTarZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciLayerNondistributableTar: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNondistributableTarGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNondistributableTarZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** The four manifest media types a registry stores: OCI manifest/index, Docker manifest/list. */
export const manifestMediaTypes: readonly string[] = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
];

/** The Accept header of a client that reads every manifest kind (docker, podman and skopeo send about this list). */
export const MANIFEST_ACCEPT: string = manifestMediaTypes.join(', ');

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

export function isImageManifestMediaType(mediaType: string): boolean {
  return mediaType === MediaType.OciManifest || mediaType === MediaType.DockerManifest;
}

const nonDistributable: ReadonlySet<string> = new Set([
  MediaType.DockerForeignLayer,
  MediaType.OciLayerNondistributableTar,
  MediaType.OciLayerNondistributableTarGzip,
  MediaType.OciLayerNondistributableTarZstd,
]);

/** Foreign (Docker) and non-distributable (OCI) layers live elsewhere; registries do not hold them. */
export function isNonDistributable(mediaType: string): boolean {
  return nonDistributable.has(mediaType);
}

/** The OCI empty descriptor (`{}`), used as config and layer of artifacts that need none. */
export const emptyDescriptor = {
  mediaType: MediaType.OciEmpty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
} as const;

/** `type/subtype` without parameters, lower-cased; undefined for a missing header. */
export function normaliseMediaType(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  const base = value.split(';')[0]?.trim().toLowerCase();
  return base ? base : undefined;
}

/** The media types of an Accept header (one or several, comma-separated), without parameters; empty when there is none. */
export function acceptedMediaTypes(header: string | readonly string[] | undefined): string[] {
  if (!header) return [];
  const text = typeof header === 'string' ? header : header.join(',');
  return text
    .split(',')
    .map((part) => normaliseMediaType(part))
    .filter((type): type is string => type !== undefined);
}

/** True when an Accept list allows `mediaType`: no list, `*\/*`, `type/*` or the type itself. */
export function acceptsMediaType(accept: readonly string[], mediaType: string): boolean {
  if (accept.length === 0) return true;
  const family = `${mediaType.split('/')[0]}/*`;
  return accept.some((type) => type === mediaType || type === '*/*' || type === family);
}
