// The authenticated identity of a request, in Kubernetes' user.Info shape.
export type { UserInfo } from '../registry/strategy.js';

export const SYSTEM_MASTERS = 'system:masters';
export const SYSTEM_AUTHENTICATED = 'system:authenticated';
