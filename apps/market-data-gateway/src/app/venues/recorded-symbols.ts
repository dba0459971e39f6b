import type { Channel, RecordedSymbol } from './venue-adapter';

/**
 * For `VenueAdapter.recordedSymbols` (replay): collects which channels of which native symbols a
 * recorded session subscribed to.
 */
export class RecordedSymbols {
  private readonly byNative = new Map<string, Set<Channel>>();

  add(native: unknown, channel: Channel | undefined): void {
    if (typeof native !== 'string' || !channel) return;
    let channels = this.byNative.get(native);
    if (!channels) this.byNative.set(native, (channels = new Set()));
    channels.add(channel);
  }

  list(): RecordedSymbol[] {
    return [...this.byNative].map(([native, channels]) => ({ native, channels: [...channels] }));
  }
}

/** A frame the client sent, as a JSON object; undefined for anything else (`"ping"`, garbage). */
export function sentObject(frame: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(frame);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
