// A tiny pydantic-v2 look-alike: lax coercion and the exact 422 error items FastAPI returns, with
// typed output so route handlers stay free of casts. Unknown fields are ignored (extra="ignore").
import { ValidationFailure, type PydanticError } from './errors';

type Loc = Array<string | number>;
const INVALID = Symbol('invalid');
type Invalid = typeof INVALID;

export interface Schema<T> {
  check(input: unknown, loc: Loc, errors: PydanticError[]): T | Invalid;
}

function fail(errors: PydanticError[], type: string, loc: Loc, msg: string, input: unknown, ctx?: object): Invalid {
  errors.push(ctx ? { type, loc, msg, input, ctx: { ...ctx } } : { type, loc, msg, input });
  return INVALID;
}

export const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const str: Schema<string> = {
  check: (v, loc, errors) =>
    typeof v === 'string' ? v : fail(errors, 'string_type', loc, 'Input should be a valid string', v),
};

const FLOAT_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
const SPECIAL_FLOATS: Record<string, number> = { inf: Infinity, infinity: Infinity, nan: NaN };

export const float: Schema<number> = {
  check(v, loc, errors) {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'string') {
      const special = SPECIAL_FLOATS[v.trim().replace(/^[+-]/, '').toLowerCase()];
      if (special !== undefined) return v.trim().startsWith('-') ? -special : special;
      if (FLOAT_TEXT.test(v)) return Number(v);
      return fail(
        errors,
        'float_parsing',
        loc,
        'Input should be a valid number, unable to parse string as a number',
        v
      );
    }
    return fail(errors, 'float_type', loc, 'Input should be a valid number', v);
  },
};

export const int: Schema<number> = {
  check(v, loc, errors) {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') {
      if (Number.isInteger(v)) return v;
      return fail(
        errors,
        'int_from_float',
        loc,
        'Input should be a valid integer, got a number with a fractional part',
        v
      );
    }
    if (typeof v === 'string') {
      if (/^\s*[+-]?\d+\s*$/.test(v)) return Number(v);
      return fail(
        errors,
        'int_parsing',
        loc,
        'Input should be a valid integer, unable to parse string as an integer',
        v
      );
    }
    return fail(errors, 'int_type', loc, 'Input should be a valid integer', v);
  },
};

const TRUE_TEXT = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_TEXT = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

export const bool: Schema<boolean> = {
  check(v, loc, errors) {
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1) return v === 1;
    if (typeof v === 'string') {
      const t = v.trim().toLowerCase();
      if (TRUE_TEXT.has(t)) return true;
      if (FALSE_TEXT.has(t)) return false;
    }
    if (typeof v === 'string' || typeof v === 'number') {
      return fail(errors, 'bool_parsing', loc, 'Input should be a valid boolean, unable to interpret input', v);
    }
    return fail(errors, 'bool_type', loc, 'Input should be a valid boolean', v);
  },
};

export const dict: Schema<Record<string, unknown>> = {
  check: (v, loc, errors) => (isDict(v) ? v : fail(errors, 'dict_type', loc, 'Input should be a valid dictionary', v)),
};

export const anyList: Schema<unknown[]> = {
  check: (v, loc, errors) => (Array.isArray(v) ? v : fail(errors, 'list_type', loc, 'Input should be a valid list', v)),
};

export const datetime: Schema<string> = {
  check(v, loc, errors) {
    if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return v;
    return fail(errors, 'datetime_from_date_parsing', loc, 'Input should be a valid datetime or date', v);
  },
};

export function listOf<T>(item: Schema<T>): Schema<T[]> {
  return {
    check(v, loc, errors) {
      if (!Array.isArray(v)) return fail(errors, 'list_type', loc, 'Input should be a valid list', v);
      const before = errors.length;
      const out = v.map((x, i) => item.check(x, [...loc, i], errors));
      return errors.length > before ? INVALID : (out as T[]);
    },
  };
}

/** Literal[...] (or a str Enum: errorType 'enum'). */
export function literal<const T extends string>(values: readonly T[], errorType = 'literal_error'): Schema<T> {
  const expected =
    values.length === 1
      ? `'${values[0]}'`
      : `${values
          .slice(0, -1)
          .map((x) => `'${x}'`)
          .join(', ')} or '${values[values.length - 1]}'`;
  return {
    check: (v, loc, errors) =>
      (values as readonly unknown[]).includes(v)
        ? (v as T)
        : fail(errors, errorType, loc, `Input should be ${expected}`, v, { expected }),
  };
}

function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return { check: (v, loc, errors) => (v === null ? null : schema.check(v, loc, errors)) };
}

/** Try each branch in order; report every branch's errors when all fail (pydantic smart union). */
export function union<A, B>(a: [string, Schema<A>], b: [string, Schema<B>]): Schema<A | B> {
  return {
    check(v, loc, errors) {
      const errsA: PydanticError[] = [];
      const resA = a[1].check(v, [...loc, a[0]], errsA);
      if (resA !== INVALID) return resA;
      const errsB: PydanticError[] = [];
      const resB = b[1].check(v, [...loc, b[0]], errsB);
      if (resB !== INVALID) return resB;
      errors.push(...errsA, ...errsB);
      return INVALID;
    },
  };
}

export interface FieldDef<T> {
  schema: Schema<T>;
  required: boolean;
  fallback?: () => T;
}

/** `name: T` with no default. */
export const required = <T>(schema: Schema<T>): FieldDef<T> => ({ schema, required: true });
/** `name: Optional[T] = None`. */
export const optional = <T>(schema: Schema<T>): FieldDef<T | null> => ({
  schema: nullable(schema),
  required: false,
  fallback: () => null,
});
/** `name: T = default` (null is rejected). */
export const defaulted = <T>(schema: Schema<T>, fallback: () => T): FieldDef<T> => ({
  schema,
  required: false,
  fallback,
});
/** `name: Optional[T] = default`. */
export const optionalDefaulted = <T>(schema: Schema<T>, fallback: () => T): FieldDef<T | null> => ({
  schema: nullable(schema),
  required: false,
  fallback,
});

type Shape = Record<string, FieldDef<unknown>>;
export type Infer<S extends Shape> = { [K in keyof S]: S[K] extends FieldDef<infer T> ? T : never };

/** A parsed request: values with defaults applied, plus which fields the client actually sent (exclude_unset). */
export interface Parsed<T> {
  value: T;
  sent: ReadonlySet<string>;
}

interface ModelHooks<T> {
  /** mode="before" model validator; returns a ValueError message. */
  before?: (raw: unknown) => string | undefined;
  /** mode="after" model validator; returns a ValueError message. */
  after?: (value: T) => string | undefined;
}

export interface ModelSchema<T> extends Schema<Parsed<T>> {
  /** Validate a request body (loc prefix 'body'); throws ValidationFailure → 422. */
  parseBody(body: unknown): Parsed<T>;
}

export function model<S extends Shape>(
  className: string,
  shape: S,
  hooks: ModelHooks<Infer<S>> = {}
): ModelSchema<Infer<S>> {
  const check = (input: unknown, loc: Loc, errors: PydanticError[]): Parsed<Infer<S>> | Invalid => {
    const beforeError = hooks.before?.(input);
    if (beforeError !== undefined) {
      return fail(errors, 'value_error', loc, `Value error, ${beforeError}`, input, { error: {} });
    }
    if (!isDict(input)) {
      return fail(errors, 'model_type', loc, `Input should be a valid dictionary or instance of ${className}`, input, {
        class_name: className,
      });
    }
    const before = errors.length;
    const value: Record<string, unknown> = {};
    const sent = new Set<string>();
    for (const [name, field] of Object.entries(shape)) {
      if (!(name in input)) {
        if (field.required) fail(errors, 'missing', [...loc, name], 'Field required', input);
        else value[name] = field.fallback?.();
        continue;
      }
      sent.add(name);
      const parsed = field.schema.check(input[name], [...loc, name], errors);
      if (parsed !== INVALID) value[name] = parsed;
    }
    if (errors.length > before) return INVALID;
    const afterError = hooks.after?.(value as Infer<S>);
    if (afterError !== undefined) {
      return fail(errors, 'value_error', loc, `Value error, ${afterError}`, input, { error: {} });
    }
    return { value: value as Infer<S>, sent };
  };
  return {
    check,
    parseBody(body) {
      const errors: PydanticError[] = [];
      if (body === undefined)
        throw new ValidationFailure([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
      const result = check(body, ['body'], errors);
      if (result === INVALID) throw new ValidationFailure(errors);
      return result;
    },
  };
}

/** A nested model used as a plain value (e.g. Member inside a list). */
export function nested<T>(schema: ModelSchema<T>): Schema<T> {
  return {
    check(v, loc, errors) {
      const parsed = schema.check(v, loc, errors);
      return parsed === INVALID ? INVALID : parsed.value;
    },
  };
}

/** Validate one query parameter (FastAPI: the last occurrence wins). */
export function queryParam<T>(
  query: URLSearchParams,
  name: string,
  schema: Schema<T>,
  fallback: T,
  errors: PydanticError[]
): T {
  const all = query.getAll(name);
  if (all.length === 0) return fallback;
  const parsed = schema.check(all[all.length - 1], ['query', name], errors);
  return parsed === INVALID ? fallback : parsed;
}
