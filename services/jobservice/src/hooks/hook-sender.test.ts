import { describe, expect, it } from 'vitest';
import { acknowledgedNewer } from './hook-sender.js';

describe('acknowledgedNewer (drop a hook before a retry)', () => {
  it('drops events of an older revision or a lower status than the ack', () => {
    expect(acknowledgedNewer({ status: 'Running', revision: 20 }, { status: 'Success', revision: 10 })).toBe(true);
    expect(acknowledgedNewer({ status: 'Success', revision: 10 }, { status: 'Running', revision: 10 })).toBe(true);
  });

  it('keeps events the receiver has not seen', () => {
    expect(acknowledgedNewer(undefined, { status: 'Running', revision: 10 })).toBe(false);
    expect(acknowledgedNewer({ status: 'Running', revision: 10 }, { status: 'Success', revision: 10 })).toBe(false);
    expect(acknowledgedNewer({ status: 'Success', revision: 10 }, { status: 'Pending', revision: 11 })).toBe(false);
    expect(acknowledgedNewer({ status: 'Running', revision: 10, check_in_at: 5 }, { status: 'Running', revision: 10, check_in_at: 6 })).toBe(false);
  });

  it('drops an older check-in', () => {
    expect(acknowledgedNewer({ status: 'Running', revision: 10, check_in_at: 6 }, { status: 'Running', revision: 10, check_in_at: 5 })).toBe(true);
  });
});
