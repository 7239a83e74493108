import { pyFloat, pyModelRepr, pyModelStr, pyRepr, pyStrRepr } from '../../emulator/pyrepr';

describe('Python rendering of LiteLLM messages', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", `"it's"`],
    [`both ' and "`, `'both \\' and "'`],
    ['back\\slash\nnewline', "'back\\\\slash\\nnewline'"],
  ])('repr(str) %j', (input, expected) => {
    expect(pyStrRepr(input)).toBe(expected);
  });

  it.each([
    [5, '5.0'],
    [0, '0.0'],
    [10.5, '10.5'],
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [-2, '-2.0'],
    [Infinity, 'inf'],
  ])('repr(float) %p', (input, expected) => {
    expect(pyFloat(input)).toBe(expected);
  });

  it('renders dicts, lists, None and booleans', () => {
    expect(pyRepr({ error: "Team doesn't exist", n: 1, ok: true, nothing: null, list: ['a'] })).toBe(
      `{'error': "Team doesn't exist", 'n': 1, 'ok': True, 'nothing': None, 'list': ['a']}`
    );
  });

  it('renders pydantic models the way repr() and str() do', () => {
    const fields = { user_id: 'u1', user_email: null, role: 'admin' };
    expect(pyModelRepr('Member', fields)).toBe("Member(user_id='u1', user_email=None, role='admin')");
    expect(pyModelStr(fields)).toBe("user_id='u1' user_email=None role='admin'");
  });
});
