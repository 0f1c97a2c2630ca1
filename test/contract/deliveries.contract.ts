import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deliveries } from '../../src/core/ports/deliveries.js';

export interface DeliveriesSubject {
  deliveries: Deliveries;
  cleanup(): Promise<void>;
}

export function describeDeliveriesContract(name: string, makeAdapter: () => Promise<DeliveriesSubject>): void {
  describe(`Deliveries contract: ${name}`, () => {
    let s: DeliveriesSubject;
    beforeEach(async () => {
      s = await makeAdapter();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    const delivery = (deliveryId: string) => ({ deliveryId, projectId: 'p_shop', deploymentId: `d_${deliveryId}`, at: '2025-01-01T00:00:00.000Z' });

    it('records a delivery id once: the second record answers false', async () => {
      expect(await s.deliveries.seen('72d3162e-cc78-11e3-81ab-4c9367dc0958')).toBe(false);

      expect(await s.deliveries.record(delivery('72d3162e-cc78-11e3-81ab-4c9367dc0958'))).toBe(true);
      expect(await s.deliveries.seen('72d3162e-cc78-11e3-81ab-4c9367dc0958')).toBe(true);
      expect(await s.deliveries.record(delivery('72d3162e-cc78-11e3-81ab-4c9367dc0958'))).toBe(false);
    });

    it('keeps different delivery ids apart', async () => {
      await s.deliveries.record(delivery('a'));
      expect(await s.deliveries.seen('b')).toBe(false);
      expect(await s.deliveries.record(delivery('b'))).toBe(true);
    });

    it('lets exactly one of many simultaneous records of the same id win', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => s.deliveries.record(delivery('same'))));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
