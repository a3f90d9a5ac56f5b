export {
  MediaType,
  manifestMediaTypes,
  MANIFEST_ACCEPT,
  isIndexMediaType,
  isImageManifestMediaType,
  isNonDistributable,
  emptyDescriptor,
  normaliseMediaType,
  acceptedMediaTypes,
  acceptsMediaType,
} from './media-types.js';
export {
  parseDigest,
  isValidDigest,
  looksLikeDigest,
  isSupportedAlgorithm,
  createDigester,
  digestOf,
  supportedAlgorithms,
  InvalidDigestError,
  type DigestAlgorithm,
  type ParsedDigest,
  type Digester,
} from './digest.js';
export {
  REPOSITORY_NAME,
  TAG,
  MAX_REPOSITORY_NAME_LENGTH,
  isValidRepositoryName,
  isValidTag,
  referrersTag,
} from './reference.js';
export {
  parseManifest,
  effectiveArtifactType,
  ManifestInvalidError,
  type Descriptor,
  type Platform,
  type ImageManifest,
  type ImageIndex,
  type ParsedManifest,
} from './manifest.js';
export { registryPaths, matchRegistryPath, actionForMethod, type RegistryRoute } from './registry-paths.js';
export { registryInputErrorCode, type RegistryInputErrorCode, type RegistryInputPart } from './registry-input.js';
