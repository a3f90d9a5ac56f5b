import { Router } from 'express';
import { ApiError } from '@wharf/errors';
import { validate } from '@wharf/http-kit';
import { z } from 'zod';
import { sendPage } from '../http/pagination.js';
import { intParam, queryString } from '../http/params.js';
import { principalOf } from '../http/security.js';
import { readListQuery } from '../listing/list-query.js';
import type { DryRunService } from './dry-run.service.js';
import { policyRequestSchema, policyView, type ReplicationPolicy } from './policy.schemas.js';
import type { PolicyService } from './policy.service.js';
import { executionView, taskView } from './replication.views.js';
import type { ReplicationService } from './replication.service.js';
import { INT4_MAX } from '../listing/db-range.js';

const startSchema = z.object({ policy_id: z.number().int().min(1).max(INT4_MAX) });

function optionalId(value: unknown, name: string): number | undefined {
  const text = queryString(value);
  if (!text) return undefined;
  // Decimal digits naming a row of the policy table's id column (int4).
  if (!/^\d{1,10}$/.test(text) || Number(text) > INT4_MAX) throw new ApiError('BAD_REQUEST', { message: `${name} must be an integer from 0 to ${INT4_MAX}` });
  return Number(text);
}

/** `/api/v2.0/replication/policies…` and `/api/v2.0/replication/executions…` (system admins only). */
export function replicationRoutes(deps: { policies: PolicyService; replication: ReplicationService; dryRun: DryRunService }): Router {
  const router = Router();
  const { policies, replication } = deps;
  const view = async (policy: ReplicationPolicy) => {
    const { src, dest } = await policies.registriesOf(policy);
    return policyView(policy, src, dest);
  };

  router.get('/replication/policies', async (req, res) => {
    const query = readListQuery(req.query);
    const page = await policies.list(principalOf(res), query, queryString(req.query.name) || undefined);
    sendPage(req, res, await Promise.all(page.items.map(view)), page.total, query);
  });
  router.post('/replication/policies', async (req, res) => {
    const policy = await policies.create(principalOf(res), validate(policyRequestSchema, req.body));
    res.status(201).location(`${req.baseUrl}/replication/policies/${policy.id}`).end();
  });
  router.get('/replication/policies/:id', async (req, res) => {
    res.json(await view(await policies.get(principalOf(res), intParam(req, 'id'))));
  });
  router.put('/replication/policies/:id', async (req, res) => {
    await policies.update(principalOf(res), intParam(req, 'id'), validate(policyRequestSchema, req.body));
    res.status(200).end();
  });
  router.delete('/replication/policies/:id', async (req, res) => {
    await policies.delete(principalOf(res), intParam(req, 'id'));
    res.status(200).end();
  });
  router.post('/replication/policies/:id/dry-run', async (req, res) => {
    res.json(await deps.dryRun.run(principalOf(res), intParam(req, 'id')));
  });

  router.get('/replication/executions', async (req, res) => {
    const query = readListQuery(req.query);
    const filters = { policyId: optionalId(req.query.policy_id, 'policy_id'), status: queryString(req.query.status) || undefined, trigger: queryString(req.query.trigger) || undefined };
    const page = await replication.list(principalOf(res), filters, query);
    sendPage(req, res, page.items.map(executionView), page.total, query);
  });
  router.post('/replication/executions', async (req, res) => {
    const { policy_id: policyId } = validate(startSchema, req.body);
    const execution = await replication.start(principalOf(res), policyId);
    // As Harbor: a run skipped by single_active_replication still answers 201, with id 0.
    res.status(201).location(`${req.baseUrl}/replication/executions/${execution?.id ?? 0}`).end();
  });
  router.get('/replication/executions/:id', async (req, res) => {
    res.json(executionView(await replication.get(principalOf(res), intParam(req, 'id'))));
  });
  router.put('/replication/executions/:id', async (req, res) => {
    await replication.stop(principalOf(res), intParam(req, 'id'));
    res.status(200).end();
  });
  router.get('/replication/executions/:id/tasks', async (req, res) => {
    const query = readListQuery(req.query);
    const filters = { status: queryString(req.query.status) || undefined, resourceType: queryString(req.query.resource_type) || undefined };
    const page = await replication.tasks(principalOf(res), intParam(req, 'id'), filters, query);
    sendPage(req, res, page.items.map(taskView), page.total, query);
  });
  router.get('/replication/executions/:id/tasks/:task_id/log', async (req, res) => {
    const log = await replication.taskLog(principalOf(res), intParam(req, 'id'), intParam(req, 'task_id'));
    res.type('text/plain').send(log);
  });
  return router;
}
