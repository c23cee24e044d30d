// Validates Amazon States Language definitions with the pinned
// asl-validator, one after the other, for the Go tests
// (internal/sfntest.ASLValidator). One process serves many definitions, so
// Node's start-up and the validator's import are paid once per process (per
// test binary), not once per definition as with one CLI process each.
//
// Protocol: JSON lines, one answer per request, in order.
//   stdin:  {"id": N, "name": "definition.asl.json", "definition": "<ASL JSON text>"}
//   stdout: {"id": N, "valid": true|false, "exitCode": 0|1|2, "output": "<text>",
//            "ajvInstances": N}
// "definition" is the definition's JSON text, parsed here as the CLI parses
// the file it is given. "name" stands for the file name in the CLI's
// messages. The answer is what `asl-validator --json-path <name>` does with a
// file holding that text:
//   - accepted: exitCode 0, output what the CLI writes on stdout:
//       ✓ State machine definition "<name>" is valid
//   - rejected: exitCode 1, output what the CLI writes on stderr:
//       ✕ State machine definition "<name>" is invalid:
//        <errorsText(): one "CODE: message" line per error>
//   - not JSON, or the validator threw: exitCode 2 and the error, as the CLI
//     prints it (the stack trace's frames are this script's, not the CLI's).
// "id" is echoed so the client can tell an answer belongs to its request.
// When stdin closes the process exits 0 (a last line without its newline is
// still a request). A line that is not such a request (not JSON, no string
// "definition") is a broken client: the process writes why on stderr and
// exits 1 without answering.
//
// Same verdict and messages as the CLI: the CLI (asl-validator 4.0.0,
// dist/bin/asl-validator.js) calls the package's main export
// validator(definition, {checkArn, checkPaths}) with checkArn:
// !options.noArnCheck and checkPaths: !options.noPathCheck. commander stores
// --no-arn-check / --no-path-check as arnCheck / pathCheck, so both are
// always true; this script passes {checkArn: true, checkPaths: true}. The
// validator only adds QueryLanguage to the object it is given, which is
// parsed anew for every request.
//
// Schemas compiled once per process: asl-validator compiles its JSON schemas
// anew on every call, almost all of a validation's cost; ajv-once.mjs keeps
// them compiled for every later call that configures Ajv identically (see
// there). "ajvInstances" in every answer is how many real Ajv instances the
// process built so far: 1 once the cache serves every request.
import readline from "node:readline";
import fs from "node:fs";
import util from "node:util";
import { createRequire } from "node:module";
import { installAjvOnce } from "./ajv-once.mjs";

// The same options as the CLI (see above).
const CLI_OPTIONS = { checkArn: true, checkPaths: true };

const require = createRequire(import.meta.url);
const ajvInstances = installAjvOnce(createRequire(require.resolve("asl-validator")));
const validator = require("asl-validator");

// stdout carries the protocol only: anything logged goes to stderr.
console.log = console.info = console.debug = console.error;

function answer(v) {
  fs.writeSync(1, JSON.stringify(v) + "\n");
}

function fatal(msg) {
  process.stderr.write(msg + "\n");
  process.exit(1);
}

// validate is the CLI's validate(name, definition) after its JSON.parse, with
// what it prints collected instead (console.log/console.error format their
// arguments with util.format and add a newline).
function validate(name, text) {
  let definition;
  try {
    definition = JSON.parse(text);
  } catch (err) {
    // The CLI's main() catches the parse error: error(err), exit 2.
    return { valid: false, exitCode: 2, output: util.format(err) + "\n" };
  }
  try {
    const result = validator(definition, CLI_OPTIONS);
    if (result.isValid) {
      return { valid: true, exitCode: 0, output: util.format(`\u2713 State machine definition "${name}" is valid`) + "\n" };
    }
    return {
      valid: false,
      exitCode: 1,
      output: util.format(`\u2715 State machine definition "${name}" is invalid:\n`, result.errorsText()) + "\n",
    };
  } catch (err) {
    return { valid: false, exitCode: 2, output: util.format("Validator exception:", err) + "\n" };
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (err) {
    fatal(`malformed request (not JSON: ${err.message}): ${line.slice(0, 200)}`);
  }
  if (req === null || typeof req !== "object" || typeof req.definition !== "string") {
    fatal(`malformed request (no string "definition"): ${line.slice(0, 200)}`);
  }
  const name = typeof req.name === "string" ? req.name : "definition.asl.json";
  answer({ id: req.id ?? null, ...validate(name, req.definition), ajvInstances: ajvInstances() });
}
process.exit(0);
