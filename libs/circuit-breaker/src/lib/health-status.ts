/**
 * The platform's one name for tri-state health (IETF health-check draft `status`): breakers,
 * health components, heartbeats and the monitor all use it. It lives here, in the lowest shared
 * library every other one may depend on.
 */
export const HEALTH_STATUSES = ['pass', 'warn', 'fail'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
