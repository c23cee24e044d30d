// Compiles asl-validator's JSON schemas once per process instead of once per
// validation. Used by tools/asl/serve.mjs (the validator server) and
// tools/sfn/run.mjs (aws-local-stepfunctions validates every definition it
// is given with its own copy of asl-validator).
//
// Why: on every call asl-validator (dist/src/checks/json-schema-errors.js,
// the same file in 3.16.0 and 4.0.0) builds a new Ajv instance — new
// Ajv({schemas, allowUnionTypes}), ajv-formats, its own formats,
// asl-path-validator's formats — and compiles its schemas anew: 0.2-0.7 s of
// CPU a call on this machine kind, almost all of a validation.
//
// How: the Ajv that asl-validator requires is replaced, through
// require.cache (the documented way to supply a module), by RecordingAjv,
// which records what the validator configures — constructor options,
// formats, keywords, ajv-formats' opts.code setting — and validates with a
// real Ajv built by replaying that record. A record identical to the one the
// process's first real Ajv was built from (the same schema and keyword
// objects; formats the same objects, regular expressions of the same source,
// or functions of the same source text: the validator creates its format
// closures anew on every call, over the same module-level values) is
// validated with that instance, whose compiled schemas are kept; any other
// record gets a real Ajv of its own, as without this module. A compiled Ajv
// validator keeps nothing of one validation for the next but its errors,
// which are read right after it ran; the validator's Ajv options (no
// defaults, no coercion, no removal of properties) do not change the data.
// A method of Ajv the validator has never called throws instead of being
// guessed at.
//
// The proofs are the Go tests of internal/sfntest: a reused process answers
// as a fresh one and as the CLI (which does not use this module), and the
// number of real Ajv instances a process built is 1 however many definitions
// it validated. The rules of this file one by one (what counts as the same
// record, the fallback to a real instance of its own, the guard) are tested
// in ajv-once.test.mjs, which TestAjvOnceRules runs.

// installAjvOnce installs RecordingAjv for the asl-validator that
// requireFromValidator (createRequire of the validator's main file) resolves
// from, before that validator is loaded. It returns a function giving how
// many real Ajv instances were built so far.
export function installAjvOnce(requireFromValidator) {
  const ajvFile = requireFromValidator.resolve("ajv");
  const real = requireFromValidator("ajv");
  const Ajv = real.default;
  let instances = 0;
  let kept = null; // { record, ajv }: the first real Ajv and its record

  // build replays a record on a new real Ajv.
  function build(record) {
    instances++;
    const ajv = new Ajv(record[0].opts);
    for (const call of record.slice(1)) {
      if (call.method === "addFormat") ajv.addFormat(call.name, call.format);
      if (call.method === "addKeyword") ajv.addKeyword(call.definition);
      if (call.method === "code") ajv.opts.code[call.key] = call.value;
    }
    return ajv;
  }

  // RecordingAjv is what the validator constructs.
  class RecordingAjv {
    constructor(opts) {
      const record = [{ method: "new", opts }];
      this.record = record;
      this.errors = null;
      // ajv-formats reads and sets opts.code.formats (for standalone code).
      this.opts = {
        ...opts,
        code: new Proxy(
          {},
          {
            set(target, key, value) {
              record.push({ method: "code", key, value });
              target[key] = value;
              return true;
            },
          },
        ),
      };
    }
    addFormat(name, format) {
      this.record.push({ method: "addFormat", name, format });
      return this;
    }
    addKeyword(definition) {
      this.record.push({ method: "addKeyword", definition });
      return this;
    }
    validate(schemaKeyRef, data) {
      let ajv;
      if (kept === null) {
        kept = { record: this.record, ajv: build(this.record) };
        ajv = kept.ajv;
      } else if (sameRecord(kept.record, this.record)) {
        ajv = kept.ajv;
      } else {
        ajv = build(this.record);
      }
      const valid = ajv.validate(schemaKeyRef, data);
      this.errors = ajv.errors;
      return valid;
    }
  }
  // Ajv's methods are mostly inherited (class Ajv extends Core): every
  // prototype up the chain is guarded, not only Ajv's own.
  for (let proto = Ajv.prototype; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const method of Object.getOwnPropertyNames(proto)) {
      const { value } = Object.getOwnPropertyDescriptor(proto, method);
      if (method !== "constructor" && typeof value === "function" && !(method in RecordingAjv.prototype)) {
        RecordingAjv.prototype[method] = function () {
          throw new Error(`ajv-once.mjs: asl-validator called Ajv.${method}, which the schema cache does not handle`);
        };
      }
    }
  }

  requireFromValidator.cache[ajvFile].exports = new Proxy(real, {
    get(target, key, receiver) {
      return key === "default" ? RecordingAjv : Reflect.get(target, key, receiver);
    },
  });
  return () => instances;
}

// sameFormat reports whether two formats given to addFormat validate alike.
function sameFormat(a, b) {
  if (a === b) return true;
  if (a instanceof RegExp && b instanceof RegExp) return a.source === b.source && a.flags === b.flags;
  if (typeof a === "function" && typeof b === "function") return a.toString() === b.toString();
  return false;
}

// sameRecord compares two records of an Ajv configuration.
function sameRecord(a, b) {
  if (a.length !== b.length) return false;
  return a.every((call, i) => {
    const other = b[i];
    if (call.method !== other.method) return false;
    switch (call.method) {
      case "new": {
        const { schemas: sa = [], ...ra } = call.opts ?? {};
        const { schemas: sb = [], ...rb } = other.opts ?? {};
        return (
          JSON.stringify(ra) === JSON.stringify(rb) &&
          sa.length === sb.length &&
          sa.every((schema, j) => schema === sb[j])
        );
      }
      case "addFormat":
        return call.name === other.name && sameFormat(call.format, other.format);
      case "addKeyword":
        return call.definition === other.definition;
      case "code":
        return call.key === other.key && String(call.value) === String(other.value);
    }
    return false;
  });
}
