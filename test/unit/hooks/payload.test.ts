import {
  buildEventPayload,
  buildPayload,
  canaryChecksum,
  type HookSubject,
} from '../../../src/hooks/payload.js';

const subject: HookSubject = { name: 'podinfo', namespace: 'test', phase: 'Progressing', checksum: '7f9c' };

describe('buildPayload', () => {
  it("has exactly Flagger's keys", () => {
    const payload = buildPayload(subject, { metadata: { type: 'cmd', cmd: 'hey' } });
    expect(payload).toEqual({
      name: 'podinfo',
      namespace: 'test',
      phase: 'Progressing',
      checksum: '7f9c',
      metadata: { type: 'cmd', cmd: 'hey' },
    });
    expect(Object.keys(payload).sort()).toEqual(['checksum', 'metadata', 'name', 'namespace', 'phase']);
  });

  it('sends empty metadata when the hook has none', () => {
    expect(buildPayload(subject, {}).metadata).toEqual({});
  });

  it("copies the hook's metadata instead of sharing it", () => {
    const metadata = { a: '1' };
    const payload = buildPayload(subject, { metadata });
    payload.metadata.b = '2';
    expect(metadata).toEqual({ a: '1' });
  });
});

describe('effect id', () => {
  it('is sent as metadata.effectId, which the hook metadata cannot override', () => {
    const payload = buildPayload({ ...subject, effectId: 'uid-7-0' }, { metadata: { effectId: 'mine' } });
    expect(payload.metadata).toEqual({ effectId: 'uid-7-0' });
    const event = buildEventPayload(
      { ...subject, effectId: 'uid-7-1' },
      {},
      { message: 'm', type: 'Normal' },
      1,
    );
    expect(event.metadata.effectId).toBe('uid-7-1');
  });
});

describe('buildEventPayload', () => {
  const nowMs = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

  it('adds eventMessage, eventType and a Unix-milliseconds timestamp string', () => {
    const payload = buildEventPayload(
      subject,
      { metadata: { team: 'web' } },
      { message: 'New revision detected', type: 'Normal' },
      nowMs,
    );
    expect(payload).toEqual({
      name: 'podinfo',
      namespace: 'test',
      phase: 'Progressing',
      checksum: '7f9c',
      metadata: {
        team: 'web',
        eventMessage: 'New revision detected',
        eventType: 'Normal',
        timestamp: '1704164645678',
      },
    });
  });

  it("does not let the hook's metadata override the event keys", () => {
    const payload = buildEventPayload(
      subject,
      { metadata: { eventType: 'fake', timestamp: '0', eventMessage: 'x' } },
      { message: 'Rolling back', type: 'Warning' },
      nowMs,
    );
    expect(payload.metadata).toEqual({
      eventMessage: 'Rolling back',
      eventType: 'Warning',
      timestamp: '1704164645678',
    });
  });
});

describe('canaryChecksum', () => {
  it('hashes lastAppliedSpec and trackedConfigs: stable for one revision, new for the next', () => {
    const base = { lastAppliedSpec: 'abc', trackedConfigs: { 'configmap/cfg': '1' } };
    const sum = canaryChecksum(base);
    expect(sum).toMatch(/^[0-9a-f]{16}$/);
    expect(canaryChecksum({ trackedConfigs: { 'configmap/cfg': '1' }, lastAppliedSpec: 'abc' })).toBe(sum);
    expect(canaryChecksum({ ...base, lastAppliedSpec: 'abd' })).not.toBe(sum);
    expect(canaryChecksum({ ...base, trackedConfigs: { 'configmap/cfg': '2' } })).not.toBe(sum);
    // Not the revision itself: a receiver cannot mistake one for the other.
    expect(sum).not.toBe('abc');
  });

  it('treats missing fields as empty', () => {
    expect(canaryChecksum({})).toBe(canaryChecksum({ lastAppliedSpec: '', trackedConfigs: {} }));
  });
});
