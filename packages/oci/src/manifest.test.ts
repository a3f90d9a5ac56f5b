import { describe, expect, it } from 'vitest';
import { effectiveArtifactType, ManifestInvalidError, parseManifest } from './manifest.js';
import { emptyDescriptor, MediaType } from './media-types.js';

const d = (mediaType: string, fill = 'a') => ({ mediaType, digest: `sha256:${fill.repeat(64)}`, size: 10 });
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseManifest', () => {
  it('reads an OCI image manifest', () => {
    const manifest = parseManifest(json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: d(MediaType.OciConfig), layers: [d(MediaType.OciLayerTarGzip, 'b')] }));
    expect(manifest.kind).toBe('image');
    expect(manifest.mediaType).toBe(MediaType.OciManifest);
    expect(effectiveArtifactType(manifest)).toBe(MediaType.OciConfig);
  });

  it('takes the media type from Content-Type when the body has none, and infers it when neither says', () => {
    const body = json({ schemaVersion: 2, config: d(MediaType.OciConfig), layers: [] });
    expect(parseManifest(body, `${MediaType.OciManifest}; charset=utf-8`).mediaType).toBe(MediaType.OciManifest);
    expect(parseManifest(body).mediaType).toBe(MediaType.OciManifest);
    expect(parseManifest(json({ schemaVersion: 2, manifests: [] }), 'application/json').mediaType).toBe(MediaType.OciIndex);
  });

  it('reads an artifact manifest with artifactType, empty config and subject', () => {
    const manifest = parseManifest(
      json({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: 'application/vnd.example.sbom.v1',
        config: emptyDescriptor,
        layers: [emptyDescriptor],
        subject: d(MediaType.OciManifest, 'c'),
        annotations: { a: 'b' },
      }),
    );
    expect(effectiveArtifactType(manifest)).toBe('application/vnd.example.sbom.v1');
    expect(manifest.subject?.digest).toBe(`sha256:${'c'.repeat(64)}`);
    expect(manifest.annotations).toEqual({ a: 'b' });
  });

  it('reads Docker schema 2 manifests and lists', () => {
    expect(parseManifest(json({ schemaVersion: 2, mediaType: MediaType.DockerManifest, config: d(MediaType.DockerConfig), layers: [d(MediaType.DockerLayer)] })).kind).toBe('image');
    const list = parseManifest(json({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [{ ...d(MediaType.DockerManifest), platform: { os: 'linux', architecture: 'amd64' } }] }));
    expect(list.kind).toBe('index');
    expect(effectiveArtifactType(list)).toBeUndefined();
  });

  it.each([
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b])],
    ['not an object', json('text')],
    ['a missing config', json({ schemaVersion: 2, mediaType: MediaType.OciManifest, layers: [] })],
    ['a descriptor without size', json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: `sha256:${'a'.repeat(64)}` }, layers: [] })],
    ['a negative size', json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { ...d(MediaType.OciConfig), size: -1 }, layers: [] })],
    ['a bad media type', json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: d('not a media type'), layers: [] })],
    ['an index without manifests', json({ schemaVersion: 2, mediaType: MediaType.OciIndex })],
    ['a Docker manifest without its mediaType field', json({ schemaVersion: 2, config: d(MediaType.DockerConfig), layers: [] })],
  ])('refuses %s', (_case, body) => {
    const contentType = _case.startsWith('a Docker') ? MediaType.DockerManifest : undefined;
    expect(() => parseManifest(body, contentType)).toThrow(ManifestInvalidError);
  });

  it('reports every schema violation', () => {
    try {
      parseManifest(json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { digest: 'x' } }));
      expect.unreachable();
    } catch (error) {
      expect((error as ManifestInvalidError).reasons.length).toBeGreaterThan(2);
    }
  });
});
