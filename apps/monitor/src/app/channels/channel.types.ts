export interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** Set when resolved. */
  endsAt?: string;
  fingerprint: string;
  generatorURL: string;
}

/** One group notification (the Alertmanager webhook payload shape, version 4). */
export interface Notification {
  version: '4';
  receiver: string;
  /** `firing` while any alert of the group fires. */
  status: 'firing' | 'resolved';
  groupKey: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: NotifiedAlert[];
}

/** One destination. `send` throws on failure (the delivery queue retries). */
export interface Channel {
  readonly type: string;
  /** Where it sends, without secrets (for the API and logs). */
  readonly target: string;
  send(notification: Notification): Promise<void>;
  close?(): void;
}
