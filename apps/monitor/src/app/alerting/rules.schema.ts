import { z } from 'zod';

import { DurationSchema } from './duration';

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'expected an alert name such as InstanceDown');
const labels = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a label name'), z.string()).default({});
const op = z.enum(['>', '>=', '<', '<=', '==', '!=']);

const common = {
  name,
  /** Condition must hold this long before the alert fires (pending until then). */
  for: DurationSchema.default(0),
  labels,
  /** `{{label}}` and `{{value}}` placeholders are filled in. */
  annotations: labels,
};

export const HealthRuleSchema = z.object({
  ...common,
  kind: z.literal('health'),
  /** instance, service, dependency (root cause), venue (all symbols of a venue), component. */
  scope: z.enum(['instance', 'service', 'dependency', 'venue', 'component']),
  /** `fail`: the subject fails; `warn`: it is not passing. */
  state: z.enum(['fail', 'warn']).default('fail'),
  /** Fires while the subject is flapping (instead of on its state). */
  flapping: z.boolean().default(false),
  /** Only these services (default: all). */
  services: z.array(z.string()).optional(),
});

export const ThresholdRuleSchema = z.object({
  ...common,
  kind: z.literal('threshold'),
  /** A scraped metric (sample name, e.g. `cs_nats_connected`) or a derived one (see docs/monitor.md). */
  metric: z.string().min(1),
  match: z.record(z.string(), z.string()).default({}),
  op,
  value: z.number(),
});

export const RateRuleSchema = z.object({
  ...common,
  kind: z.literal('rate'),
  /** A scraped counter (sample name, e.g. `cs_nats_messages_dropped_total`). */
  metric: z.string().min(1),
  match: z.record(z.string(), z.string()).default({}),
  /** Per-second increase over this window. */
  window: DurationSchema.default(300_000),
  op,
  value: z.number(),
});

export const AnomalyRuleSchema = z.object({
  ...common,
  kind: z.literal('anomaly'),
  detector: z.enum(['staleness', 'rate', 'latency']),
  subject: z.enum(['feed', 'instance']).optional(),
});

export const RuleSchema = z.discriminatedUnion('kind', [HealthRuleSchema, ThresholdRuleSchema, RateRuleSchema, AnomalyRuleSchema]);
export type Rule = z.infer<typeof RuleSchema>;
export type HealthRule = z.infer<typeof HealthRuleSchema>;

const headers = z.record(z.string(), z.string()).default({});

export const ChannelSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('webhook'), url: z.string().url(), headers }),
  z.object({ type: z.literal('slack'), url: z.string().url(), channel: z.string().optional(), username: z.string().optional() }),
  z.object({
    type: z.literal('pagerduty'),
    routingKey: z.string().min(1),
    url: z.string().url().default('https://events.pagerduty.com/v2/enqueue'),
  }),
  z.object({
    type: z.literal('email'),
    to: z.union([z.string().min(3), z.array(z.string().min(3))]),
    from: z.string().min(3),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false),
    /** Only when the server offers STARTTLS; a local relay may not. */
    requireTLS: z.boolean().default(false),
    user: z.string().optional(),
    pass: z.string().optional(),
  }),
  z.object({ type: z.literal('alertmanager'), url: z.string().url(), headers }),
]);
export type ChannelConfig = z.infer<typeof ChannelSchema>;

export const ReceiverSchema = z.object({
  name: z.string().min(1),
  channels: z.array(ChannelSchema).default([]),
  sendResolved: z.boolean().default(true),
});
export type ReceiverConfig = z.infer<typeof ReceiverSchema>;

const routeTiming = {
  groupBy: z.array(z.string()).optional(),
  groupWait: DurationSchema.optional(),
  groupInterval: DurationSchema.optional(),
  repeatInterval: DurationSchema.optional(),
};

export const ChildRouteSchema = z.object({
  receiver: z.string().min(1),
  /** Label equality (all must hold). */
  match: z.record(z.string(), z.string()).default({}),
  /** Label regular expressions (anchored). */
  matchRe: z.record(z.string(), z.string()).default({}),
  /** Keep looking for further matching routes after this one. */
  continue: z.boolean().default(false),
  ...routeTiming,
});

export const RouteSchema = z.object({
  receiver: z.string().min(1),
  groupBy: z.array(z.string()).default(['alertname']),
  groupWait: DurationSchema.default(2000),
  groupInterval: DurationSchema.default(30_000),
  repeatInterval: DurationSchema.default(4 * 3_600_000),
  routes: z.array(ChildRouteSchema).default([]),
});
export type RouteConfig = z.infer<typeof RouteSchema>;

export const InhibitRuleSchema = z.object({
  sourceMatch: z.record(z.string(), z.string()).default({}),
  targetMatch: z.record(z.string(), z.string()).default({}),
  /** Labels that must be equal on source and target. */
  equal: z.array(z.string()).default([]),
});
export type InhibitRule = z.infer<typeof InhibitRuleSchema>;

export const AlertingConfigSchema = z
  .object({
    rules: z.array(RuleSchema).default([]),
    route: RouteSchema.prefault({ receiver: 'default' }),
    receivers: z.array(ReceiverSchema).prefault([{ name: 'default' }]),
    inhibit: z.array(InhibitRuleSchema).default([]),
    /** Resolved alerts stay listed this long. */
    keepResolved: DurationSchema.default(15 * 60_000),
  })
  .superRefine((cfg, ctx) => {
    const receivers = new Set(cfg.receivers.map((r) => r.name));
    const check = (receiver: string, path: (string | number)[]) => {
      if (!receivers.has(receiver)) ctx.addIssue({ code: 'custom', path, message: `unknown receiver "${receiver}"` });
    };
    check(cfg.route.receiver, ['route', 'receiver']);
    cfg.route.routes.forEach((r, i) => check(r.receiver, ['route', 'routes', i, 'receiver']));
    const names = new Set<string>();
    cfg.rules.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule "${r.name}"` });
      names.add(r.name);
    });
  });
export type AlertingConfig = z.infer<typeof AlertingConfigSchema>;
