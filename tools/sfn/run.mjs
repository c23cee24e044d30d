// Executes Step Functions state machines with aws-local-stepfunctions on a
// virtual clock, one after the other, asking the caller (the Go test
// harness, internal/sfntest) to answer every Task state. One process serves
// many executions, so Node's start-up and the interpreter's import are paid
// once per process, not once per execution.
//
// Protocol: JSON lines. An execution ("scenario") is:
//   stdin:  {"definition": {...}, "input": any, "context": {...},
//            "startTime": "2026-01-01T00:00:00Z", "checked": bool}
//   stdout: {"kind":"task","state":S,"resource":R,"input":X,"time":T}
//   stdin:  {"result":X} | {"error":E,"cause":C}, optionally with
//           "afterSeconds":N (the answer arrives N virtual seconds later)
//           or {"hang":true} (no answer ever: a task token nobody sends)
//   ... one task/answer pair per Task state entered ...
//   stdout: {"kind":"end","status":"SUCCEEDED"|"FAILED"|"TIMED_OUT"|"ABORTED"|"STUCK",
//            "output":X,"error":E,"cause":C,"time":T,"states":[...],
//            "validated":bool,"ajvInstances":N}
// After the "end" line the runner waits for the next scenario line. When
// stdin closes between scenarios it exits 0; stdin closing in the middle of
// a scenario, or anything the runner cannot handle (an invalid definition),
// ends it with a message on stderr and a non-zero exit status.
//
// Scenarios do not share state: each runs on its own freshly installed fake
// clock (uninstalled after its "end" line) with a new StateMachine and its own
// Task handlers. What an execution leaves behind (a hanging Task's promise,
// timers of its clock) can never run again: its clock is never ticked after
// its scenario, and if a handler of an earlier scenario were still called,
// it would neither read stdin nor answer. What is kept concerns only the
// definition check: aws-local-stepfunctions validates a definition with
// asl-validator, which compiles its JSON schemas anew on every call (the
// larger part of an execution's cost). The compiled schemas are kept for the
// process (tools/asl/ajv-once.mjs; "ajvInstances" in the "end" line counts
// the real Ajv instances built), and as the check is a function of the
// definition alone, a definition the harness sends with "checked": true is
// not checked again: the harness remembers, for the whole test binary, the
// definitions whose execution ended in any of its processes (a definition
// that fails the check ends the process without an "end" line).
// "validated" in the "end" line says whether this scenario ran the check.
//
// What is virtual: Date, setTimeout/clearTimeout and setInterval are replaced
// by @sinonjs/fake-timers, so Wait states, Retry intervals, Task
// TimeoutSeconds and the machine's TimeoutSeconds cost no real time; the
// clock only moves when the interpreter has nothing left to do but wait.
// Task answers are read synchronously, so no virtual time passes while the
// harness computes them.
//
// Node 20: aws-local-stepfunctions 3.0.0 declares node >= 22 because it calls
// Promise.withResolvers (ES2024). core-js provides exactly that function on
// Node 20; nothing else of the interpreter needs Node 22 (see
// docs/decisions/0013-executing-state-machines-in-tests.md).
import "core-js/actual/promise/with-resolvers.js";
import fs from "node:fs";
import { createRequire, Module } from "node:module";
import FakeTimers from "@sinonjs/fake-timers";
import { installAjvOnce } from "../asl/ajv-once.mjs";

// The longest delay a timer holds (2^31-1 ms), in whole seconds.
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

// The interpreter is loaded from its CommonJS build (build/main.node.cjs, the
// package's "require" export: the same bundle as the ESM build, with
// require() instead of import), so that the two AWS SDK v3 packages it loads
// for Task states without a local handler — @aws-sdk/client-lambda and
// @aws-sdk/credential-providers, about half of the process's start-up — are
// replaced by stubs through require.cache (the documented way to supply a
// module). Every Task state this runner executes has a local handler (the
// harness answers it), so the SDK is never needed; if the interpreter ever
// did reach for it (a Task inside a Map or Parallel state, which has no
// handler here), the stub ends the process with the reason on stderr instead
// of letting the state machine's Catch route an error (see
// docs/decisions/0013-executing-state-machines-in-tests.md).
function loadInterpreter() {
  const require = createRequire(import.meta.url);
  const main = require.resolve("aws-local-stepfunctions");
  const fromInterpreter = createRequire(main);
  const refuse = (what) =>
    function () {
      fatal(`run.mjs: the interpreter called ${what} (a Task state without a local handler, e.g. inside a Map or Parallel state); the harness answers top-level Task states only`);
    };
  const stubs = {
    "@aws-sdk/client-lambda": { LambdaClient: refuse("AWS Lambda (LambdaClient)"), InvokeCommand: refuse("AWS Lambda (InvokeCommand)") },
    "@aws-sdk/credential-providers": { fromCognitoIdentityPool: refuse("fromCognitoIdentityPool") },
  };
  for (const [id, exports] of Object.entries(stubs)) {
    const file = fromInterpreter.resolve(id);
    const m = new Module(file);
    m.filename = file;
    m.loaded = true;
    m.exports = exports;
    require.cache[file] = m;
  }
  const ajvInstances = installAjvOnce(createRequire(fromInterpreter.resolve("asl-validator")));
  return { StateMachine: require(main).StateMachine, ajvInstances };
}

const { StateMachine, ajvInstances } = loadInterpreter();

// Without it every Task would fail with a TypeError the state machine's
// Catch would route like an AWS error: refuse to run instead.
if (typeof Promise.withResolvers !== "function") {
  process.stderr.write("Promise.withResolvers is missing: core-js did not load\n");
  process.exit(3);
}

let pending = Buffer.alloc(0);

// readLine returns the next line of stdin, or null when stdin is closed and
// nothing is left to read (atEOF is then set).
function readLine() {
  const chunk = Buffer.alloc(65536);
  for (;;) {
    const nl = pending.indexOf(10);
    if (nl >= 0) {
      const line = pending.subarray(0, nl).toString("utf8");
      pending = pending.subarray(nl + 1);
      return line;
    }
    let n;
    try {
      n = fs.readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === "EAGAIN") continue;
      throw e;
    }
    if (n === 0) {
      if (pending.length > 0) fatal("stdin closed before a complete line");
      return null;
    }
    pending = Buffer.concat([pending, chunk.subarray(0, n)]);
  }
}

function fatal(msg) {
  process.stderr.write(msg + "\n");
  process.exit(1);
}

function writeLine(v) {
  fs.writeSync(1, JSON.stringify(v) + "\n");
}

function taskError(name, cause) {
  const e = new Error(cause ?? "");
  e.name = name;
  return e;
}

// The scenario whose Task handlers may talk to the harness; 0 between
// scenarios.
let active = 0;
let scenarios = 0;

async function runScenario(scenario) {
  const id = ++scenarios;

  // Where aws-local-stepfunctions 3.0.0 differs from AWS Step Functions, the
  // definition is normalised to an equivalent one (same meaning in ASL):
  //  - "ResultPath": "$" (the default: the result replaces the input) is
  //    mishandled by the interpreter, so it is removed;
  //  - a Task without TimeoutSeconds times out after 60 s in the interpreter
  //    but after 99999999 s in AWS. That delay is beyond what a timer can
  //    hold (2^31-1 ms, as in Node: fake-timers turns a longer one into
  //    1 ms), so the longest a timer can hold is written out: 2147483 s,
  //    24.8 days — longer than any machine of this project may run.
  for (const st of Object.values(scenario.definition.States)) {
    if (st.ResultPath === "$") delete st.ResultPath;
    if (st.Type === "Task" && st.TimeoutSeconds === undefined && st.TimeoutSecondsPath === undefined) {
      st.TimeoutSeconds = MAX_TIMER_SECONDS;
    }
  }

  const handlers = {};
  for (const [name, st] of Object.entries(scenario.definition.States)) {
    if (st.Type !== "Task") continue;
    handlers[name] = async (input) => {
      if (active !== id) {
        // A leftover of an earlier scenario: it must not take the current
        // scenario's answers. Nothing is waiting for it.
        return new Promise(() => {});
      }
      writeLine({ kind: "task", state: name, resource: st.Resource, input, time: new Date().toISOString() });
      const line = readLine();
      if (line === null) fatal("stdin closed while a Task waited for its answer");
      const answer = JSON.parse(line);
      if (answer.hang) {
        return new Promise(() => {});
      }
      if (answer.afterSeconds) {
        await new Promise((resolve) => setTimeout(resolve, answer.afterSeconds * 1000));
      }
      if (answer.error) throw taskError(answer.error, answer.cause);
      return answer.result;
    };
  }

  const check = scenario.checked !== true;
  const machine = new StateMachine(scenario.definition, {
    validationOptions: check ? { checkPaths: true, checkArn: true } : { noValidate: true },
  });

  const clock = FakeTimers.install({
    now: Date.parse(scenario.startTime ?? "2026-01-01T00:00:00Z"),
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
  active = id;
  try {
    const execution = machine.run(scenario.input ?? {}, {
      context: scenario.context ?? {},
      overrides: { taskResourceLocalHandlers: handlers },
    });

    const states = [];
    (async () => {
      for await (const ev of execution.eventLogs) {
        if (ev.type === "StateEntered") states.push(ev.state.name);
      }
    })().catch(() => {});

    let end = null;
    execution.result.then(
      (output) => {
        end = { status: "SUCCEEDED", output };
      },
      (err) => {
        if (err.name === "ExecutionTimeoutError") {
          end = { status: "TIMED_OUT", error: "States.Timeout", cause: err.message };
        } else if (err.name === "ExecutionAbortedError") {
          end = { status: "ABORTED" };
        } else {
          const c = err.cause ?? err;
          end = { status: "FAILED", error: c.name, cause: c.message };
        }
      },
    );

    // Drive the virtual clock: let every promise settle (tickAsync(0) also
    // yields to the real event loop), then jump to the next timer. An
    // execution with no timer left and no result is stuck, which the harness
    // reports.
    for (let steps = 0; ; steps++) {
      await clock.tickAsync(0);
      if (end !== null) break;
      if (clock.countTimers() === 0) {
        end = { status: "STUCK", error: "Harness.Stuck", cause: "no timer left and no result" };
        break;
      }
      if (steps > 1000000) {
        end = { status: "STUCK", error: "Harness.Loop", cause: "more than a million clock steps" };
        break;
      }
      await clock.nextAsync();
    }
    // Let the event log catch up before reporting the states entered.
    for (let i = 0; i < 10; i++) await clock.tickAsync(0);
    return { kind: "end", ...end, time: new Date().toISOString(), states, validated: check, ajvInstances: ajvInstances() };
  } finally {
    active = 0;
    clock.uninstall();
  }
}

for (;;) {
  const line = readLine();
  if (line === null) process.exit(0);
  let end;
  try {
    end = await runScenario(JSON.parse(line));
  } catch (e) {
    fatal(`${e?.stack ?? e}`);
  }
  writeLine(end);
}
