import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log.js';

function capture() {
  let out = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), read: () => out };
}

describe('createLogger redaction', () => {
  it('keeps credential fields out of log lines', () => {
    const { logger, read } = capture();
    logger.info(
      {
        provider: {
          auth: { bearerToken: 'tok-planted-1' },
          token: 'tok-planted-2',
          password: 'pw-planted-3',
        },
        request: { headers: { Authorization: 'Bearer tok-planted-4', cookie: 'session=planted-5' } },
        secret: { data: { token: 'planted-6' } },
      },
      'hello',
    );
    const line = read();
    expect(line).toContain('hello');
    for (const planted of [
      'tok-planted-1',
      'tok-planted-2',
      'pw-planted-3',
      'tok-planted-4',
      'planted-5',
      'planted-6',
    ]) {
      expect(line).not.toContain(planted);
    }
  });
});
