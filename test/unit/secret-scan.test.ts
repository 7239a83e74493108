import { assertNoSecretLogged, MASTER_KEY } from '../helpers/harness';

describe('the log scan every workflow test file ends with', () => {
  it('passes redacted lines', () => {
    expect(() => assertNoSecretLogged(['INFO key issued {"key":"sk-…a1b2"}', 'WARN step failed {}'])).not.toThrow();
  });

  it.each([[`INFO calling {"auth":"${MASTER_KEY}"}`], ['INFO issued {"key":"sk-AbCdEfGhIjKlMnOpQrStUv"}']])(
    'catches a secret in %s without repeating it',
    (line) => {
      expect(() => assertNoSecretLogged([line])).toThrow(/Secrets in 1 log line/);
      try {
        assertNoSecretLogged([line]);
      } catch (err) {
        expect((err as Error).message).not.toContain('sk-AbCd');
        expect((err as Error).message).not.toContain(MASTER_KEY);
      }
    }
  );
});
