import { Router, type Request } from 'express';
import { validate } from '@wharf/http-kit';
import { sendPage } from '../http/pagination.js';
import { repositoryNameOf } from '../http/params.js';
import { principalOf } from '../http/security.js';
import { readListQuery } from '../listing/list-query.js';
import { artifactView, newTagSchema, tagView, type ArtifactViewOptions } from './artifact.schemas.js';
import type { ArtifactService } from './artifact.service.js';

const BASE = '/projects/:project_name/repositories/:repository_name/artifacts';

function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  return value === 'true' || value === '1';
}

function viewOptions(req: Request): ArtifactViewOptions {
  return {
    withTag: flag(req.query.with_tag, true),
    withLabel: flag(req.query.with_label, false),
    basePath: `${req.baseUrl}/projects/${String(req.params.project_name)}/repositories/${encodeURIComponent(encodeURIComponent(repositoryNameOf(req)))}`,
  };
}

/** `/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts…` */
export function artifactRoutes(deps: { artifacts: ArtifactService }): Router {
  const router = Router();
  const { artifacts } = deps;

  router.get(BASE, async (req, res) => {
    const query = readListQuery(req.query);
    const page = await artifacts.list(principalOf(res), req.params.project_name, repositoryNameOf(req), query);
    const options = viewOptions(req);
    sendPage(req, res, page.items.map((artifact) => artifactView(artifact, options)), page.total, query);
  });

  router.get(`${BASE}/:reference`, async (req, res) => {
    const artifact = await artifacts.get(principalOf(res), req.params.project_name, repositoryNameOf(req), req.params.reference);
    res.json(artifactView(artifact, viewOptions(req)));
  });

  router.delete(`${BASE}/:reference`, async (req, res) => {
    await artifacts.delete(principalOf(res), req.params.project_name, repositoryNameOf(req), req.params.reference);
    res.status(200).end();
  });

  router.get(`${BASE}/:reference/tags`, async (req, res) => {
    const query = readListQuery({ page: req.query.page, page_size: req.query.page_size });
    const page = await artifacts.listTags(principalOf(res), req.params.project_name, repositoryNameOf(req), req.params.reference, query);
    sendPage(req, res, page.items.map(tagView), page.total, query);
  });

  router.post(`${BASE}/:reference/tags`, async (req, res) => {
    const { name } = validate(newTagSchema, req.body);
    await artifacts.addTag(principalOf(res), req.params.project_name, repositoryNameOf(req), req.params.reference, name);
    res.status(201).end();
  });

  router.delete(`${BASE}/:reference/tags/:tag_name`, async (req, res) => {
    await artifacts.deleteTag(principalOf(res), req.params.project_name, repositoryNameOf(req), req.params.reference, req.params.tag_name);
    res.status(200).end();
  });

  return router;
}
