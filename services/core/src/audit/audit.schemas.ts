import type { AuditRecord } from './audit.store.js';

/** Harbor's AuditLog. */
export function auditView(entry: AuditRecord) {
  return {
    id: entry.id,
    username: entry.username,
    resource: entry.resource,
    resource_type: entry.resourceType,
    operation: entry.operation,
    op_time: entry.opTime.toISOString(),
  };
}
