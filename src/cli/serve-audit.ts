// The audit log of `kplex serve` from its options (--audit-log-path, --audit-log-dir,
// --audit-policy-file). A policy file that does not parse stops kplex at start, as the apiserver.
import { readFileSync } from 'node:fs';
import { AuditLog } from '../audit/audit-log.js';
import { METADATA_POLICY, parsePolicy } from '../audit/policy.js';
import type { ServeConfig } from '../config/serve-config.js';
import type { Logger } from '../log/logger.js';

export function auditLog(cfg: ServeConfig, logger: Logger): AuditLog | undefined {
  if (!cfg.auditLogPath && !cfg.auditLogDir) return undefined;
  let policy = METADATA_POLICY;
  if (cfg.auditPolicyFile) {
    try {
      policy = parsePolicy(readFileSync(cfg.auditPolicyFile, 'utf8'));
    } catch (err) {
      throw new Error(`--audit-policy-file ${cfg.auditPolicyFile}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  logger.info({ file: cfg.auditLogPath, dir: cfg.auditLogDir, rules: policy.rules.length }, 'audit log');
  return new AuditLog({ policy, file: cfg.auditLogPath, dir: cfg.auditLogDir, logger });
}
