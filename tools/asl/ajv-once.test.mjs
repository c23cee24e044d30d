// Rule-by-rule tests of ajv-once.mjs, run with the runner built into Node
// (node --test). internal/sfntest's TestAjvOnceRules runs this file, so it
// is part of `go test ./...`; the Go tests there prove the whole validator
// (a reused process answers as a fresh one and as the CLI).
//
// Each test configures an Ajv the way asl-validator does on every call
// (dist/src/checks/json-schema-errors.js): a new instance with the same
// schema objects, format closures created anew, a keyword, and
// ajv-formats' opts.code.formats. It compares the verdict and errors with a
// real Ajv built the same way, and counts the real instances built.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { installAjvOnce } from "./ajv-once.mjs";

const require = createRequire(import.meta.url);
const requireFromValidator = createRequire(require.resolve("asl-validator"));
// The real module, taken before installAjvOnce replaces it for the validator.
const realModule = requireFromValidator("ajv");
const RealAjv = realModule.default;
const instances = installAjvOnce(requireFromValidator);
const RecordingAjv = requireFromValidator("ajv").default;

// Module-level values, as in asl-validator: the same objects on every call.
const schema = {
  $id: "http://example.com/definition.json",
  type: "object",
  properties: { id: { type: "string", format: "even" }, name: { type: "string", format: "letters", tag: true } },
  required: ["id"],
};
const tagKeyword = { keyword: "tag", schemaType: "boolean" };
const codeFormats = { toString: () => 'require("ajv-formats/dist/formats").fullFormats' };

// configure builds an Ajv of class Ajv as the validator does; changes
// replaces one of its parts to make a record that differs in that part.
function configure(Ajv, changes = {}) {
  const parts = {
    opts: { schemas: [schema], allowUnionTypes: true },
    // A closure created anew on every call, over the same values: strings
    // of even length.
    even: (s) => s.length % 2 === 0,
    // A regular expression literal: a new object on every call.
    letters: /^[a-z]*$/u,
    keyword: tagKeyword,
    code: codeFormats,
    ...changes,
  };
  const ajv = new Ajv(parts.opts);
  ajv.opts.code.formats = parts.code;
  ajv.addFormat("even", parts.even);
  ajv.addFormat("letters", parts.letters);
  if (parts.extraFormat) ajv.addFormat("extra", parts.extraFormat);
  ajv.addKeyword(parts.keyword);
  return ajv;
}

// check validates data with a RecordingAjv and a real Ajv configured alike
// and asserts the same verdict and errors; it returns the verdict and how
// many real instances the RecordingAjv's validation built.
function check(data, changes) {
  const before = instances();
  const recording = configure(RecordingAjv, changes);
  const valid = recording.validate(schema.$id, data);
  const built = instances() - before;
  const real = configure(RealAjv, changes);
  assert.equal(valid, real.validate(schema.$id, data), "the verdict of a real Ajv");
  assert.deepEqual(recording.errors, real.errors, "the errors of a real Ajv");
  return { valid, built };
}

// Runs first (tests of a file run in order): the process's first record
// builds the instance that later identical records reuse.
test("the first validation builds one real instance", () => {
  assert.equal(instances(), 0);
  assert.deepEqual(check({ id: "ab" }), { valid: true, built: 1 });
});

test("a record like the first reuses its instance, whatever the data", () => {
  assert.deepEqual(check({ id: "abcd", name: "x" }), { valid: true, built: 0 });
  const rejected = check({ id: "abc" });
  assert.deepEqual(rejected, { valid: false, built: 0 });
  assert.deepEqual(check({ name: 1 }), { valid: false, built: 0 });
  // Errors of one validation are not carried into the next.
  assert.deepEqual(check({ id: "" }), { valid: true, built: 0 });
});

test("the errors are the ones of the last validation", () => {
  const ajv = configure(RecordingAjv);
  assert.equal(ajv.validate(schema.$id, { id: "abc" }), false);
  assert.equal(ajv.errors[0].instancePath, "/id");
  assert.equal(ajv.errors[0].keyword, "format");
  assert.equal(ajv.validate(schema.$id, { id: "abcdef" }), true);
  assert.equal(ajv.errors, null);
});

test("a format regular expression of the same source and flags is the same", () => {
  const a = configure(RecordingAjv).record.find((call) => call.name === "letters");
  const b = configure(RecordingAjv).record.find((call) => call.name === "letters");
  assert.notEqual(a.format, b.format, "a regular expression object anew on every call");
  assert.equal(check({ id: "ab", name: "x" }).built, 0);
  assert.equal(check({ id: "ab", name: "x" }, { letters: /^[a-z]*$/iu }).built, 1, "other flags");
  assert.equal(check({ id: "ab", name: "x" }, { letters: /^[a-c]*$/u }).built, 1, "another source");
});

// Every part of the record that can change what a validation answers makes
// the record differ: it gets a real instance of its own, which answers as a
// real Ajv would (check compares), not as the kept one.
test("a record that differs in any part gets an instance of its own", () => {
  const differing = {
    "an option": { opts: { schemas: [schema], allowUnionTypes: true, allErrors: true } },
    "a schema object equal in content": { opts: { schemas: [structuredClone(schema)], allowUnionTypes: true } },
    "a format function of other source": { even: (s) => s.length % 2 === 1 },
    "a keyword definition object equal in content": { keyword: { ...tagKeyword } },
    "one format more": { extraFormat: () => true },
    "the code formats setting": { code: { toString: () => 'require("ajv-formats/dist/formats").fastFormats' } },
  };
  for (const [name, changes] of Object.entries(differing)) {
    assert.equal(check({ id: "ab" }, changes).built, 1, name);
    assert.equal(check({ id: "abc" }, changes).built, 1, `${name}: each time, nothing is kept for it`);
  }
  // The changed format answers for itself: "abc" is odd, accepted only there.
  assert.equal(check({ id: "abc" }, differing["a format function of other source"]).valid, true);
  assert.equal(check({ id: "abc" }).valid, false);
});

test("a method the validator has never called throws instead of being guessed at", () => {
  const ajv = configure(RecordingAjv);
  for (const method of ["compile", "addSchema", "getSchema", "removeSchema", "errorsText"]) {
    assert.throws(() => ajv[method](schema), new RegExp(`asl-validator called Ajv\\.${method}, which the schema cache does not handle`), method);
  }
});

test("the module seen by the validator is Ajv's module with another default", () => {
  const replaced = requireFromValidator("ajv");
  assert.notEqual(replaced, realModule);
  assert.equal(replaced.default, RecordingAjv);
  assert.notEqual(RecordingAjv, RealAjv);
  for (const name of ["KeywordCxt", "_", "str", "CodeGen"]) {
    assert.equal(typeof realModule[name], "function", name);
    assert.equal(replaced[name], realModule[name], `the named export ${name} stays the real module's`);
  }
});
