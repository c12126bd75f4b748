// Proves Mesos's quota validation (quota.cpp, quota_handler.cpp) as pure functions: QuotaConfig rules, the deprecated set request's rules, request shapes, and the QuotaStatus view.
import { describe, expect, test } from "bun:test";
import {
  parseQuotaConfig, parseQuotaRequest, quotaStatusJson, validateQuotaConfig, validateQuotaConfigs, validateQuotaRequest,
} from "../../host/master/quota.ts";
import { readShape } from "../../host/master/registry_requests.ts";
import type { QuotaConfig } from "../../host/registry/types.ts";

const q = (value: number) => ({ value });
const cpus = (value: number, extra: Record<string, unknown> = {}) => ({ name: "cpus", type: "SCALAR", scalar: { value }, ...extra });

describe("QuotaConfig", () => {
  test("guarantees within limits are valid; a missing limit is unlimited", () => {
    expect(validateQuotaConfig({ role: "dev", guarantees: { cpus: q(1) }, limits: { cpus: q(2), mem: q(0) } })).toBeNull();
    expect(validateQuotaConfig({ role: "dev", guarantees: { cpus: q(1) } })).toBeNull();
    expect(validateQuotaConfig({ role: "dev" })).toBeNull();
  });

  test("each rule refuses with Mesos's text", () => {
    expect(validateQuotaConfig({ role: "a b" })).toBe("Invalid 'QuotaConfig.role': Role component 'a b' is invalid because it contains backspace or whitespace");
    expect(validateQuotaConfig({ role: "dev", guarantees: { cpus: q(-1) } })).toBe("Invalid guarantee configuration {'cpus': -1}: Negative values not supported");
    expect(validateQuotaConfig({ role: "dev", limits: { cpus: q(-1) } })).toBe("Invalid limit configuration {'cpus': -1}: Negative values not supported");
    expect(validateQuotaConfig({ role: "dev", guarantees: { mem: q(2 * 1024 ** 4) } }))
      .toBe("Invalid 'QuotaConfig.guarantees': {'mem': 2199023255552} is invalid: values greater than 1 exabyte (1099511627776) are not supported");
    expect(validateQuotaConfig({ role: "dev", limits: { cpus: q(2e12) } }))
      .toBe("Invalid 'QuotaConfig.limits': {'cpus': 2000000000000} is invalid: values greater than 1 trillion (1000000000000) are not supported");
    expect(validateQuotaConfig({ role: "dev", guarantees: { cpus: q(3) }, limits: { cpus: q(2) } }))
      .toBe("'QuotaConfig.guarantees' cpus:3 is not contained within the 'QuotaConfig.limits' cpus:2");
  });

  test("guarantee and limit compare at Mesos's three decimals", () => {
    expect(validateQuotaConfig({ role: "dev", guarantees: { cpus: q(1.0004) }, limits: { cpus: q(1) } })).toBeNull();
    expect(validateQuotaConfig({ role: "dev", guarantees: { cpus: q(1.001) }, limits: { cpus: q(1) } })).not.toBeNull();
  });

  test("UPDATE_QUOTA refuses nested roles and a role given twice", () => {
    expect(validateQuotaConfigs([{ role: "a/b" }])).toBe("Updating quota on nested role 'a/b' is not supported yet");
    expect(validateQuotaConfigs([{ role: "a" }, { role: "a" }])).toBe("Invalid QuotaConfig: role 'a' appears more than once");
    expect(validateQuotaConfigs([{ role: "-a" }])).toBe("Invalid QuotaConfig: Invalid 'QuotaConfig.role': Role component '-a' is invalid because it starts with a dash");
  });

  test("request shape: role required, maps of {value}", () => {
    expect(parseQuotaConfig({ role: "r", guarantees: { cpus: { value: 1 } } })).toEqual({ role: "r", guarantees: { cpus: q(1) } });
    expect(readShape(() => parseQuotaConfig({ guarantees: {} }))).toEqual({ error: "Missing required fields: role" });
    expect(readShape(() => parseQuotaConfig({ role: "r", limits: { cpus: 1 } }))).toEqual({ error: "Expecting a JSON object" });
    expect(readShape(() => parseQuotaConfig({ role: "r", limits: { cpus: {} } }))).toEqual({ error: "Missing required fields: limits[cpus].value" });
  });
});

describe("deprecated set request (POST /quota)", () => {
  const set = (json: unknown) => validateQuotaRequest(parseQuotaRequest(json));

  test("a valid request sets guarantee = limit", () => {
    expect(set({ role: "dev", guarantee: [cpus(2), { name: "mem", type: "SCALAR", scalar: { value: 512 } }] }))
      .toEqual({ value: { role: "dev", guarantees: { cpus: q(2), mem: q(512) }, limits: { cpus: q(2), mem: q(512) } } });
  });

  test("each rule refuses with Mesos's text", () => {
    const p = "Failed to validate set quota request: ";
    expect(set({ guarantee: [cpus(1)] })).toEqual({ error: `${p}QuotaInfo must specify a role` });
    expect(set({ role: "dev", guarantee: [] })).toEqual({ error: `${p}QuotaInfo with empty 'guarantee'` });
    expect(set({ role: "/dev", guarantee: [cpus(1)] })).toEqual({ error: `${p}QuotaInfo with invalid role: Role '/dev' cannot start with a slash` });
    expect(set({ role: "dev", guarantee: [cpus(-1)] })).toEqual({ error: `${p}QuotaInfo with invalid resource: Invalid scalar resource: value <= 0` });
    expect(set({ role: "dev", guarantee: [{ name: "", type: "SCALAR", scalar: q(1) }] })).toEqual({ error: `${p}QuotaInfo with invalid resource: Empty resource name` });
    expect(set({ role: "dev", guarantee: [{ name: "cpus", type: "SCALAR" }] })).toEqual({ error: `${p}QuotaInfo with invalid resource: Invalid scalar resource` });
    expect(set({ role: "dev", guarantee: [cpus(1), cpus(2)] })).toEqual({ error: `${p}QuotaInfo contains duplicate resource name 'cpus'` });
    expect(set({ role: "dev", guarantee: [cpus(1, { role: "dev" })] })).toEqual({ error: `${p}QuotaInfo must not contain any ReservationInfo` });
    expect(set({ role: "dev", guarantee: [cpus(1, { disk: {} })] })).toEqual({ error: `${p}QuotaInfo must not contain DiskInfo` });
    expect(set({ role: "dev", guarantee: [cpus(1, { revocable: {} })] })).toEqual({ error: `${p}QuotaInfo must not contain RevocableInfo` });
    expect(set({ role: "dev", guarantee: [{ name: "ports", type: "RANGES", ranges: { range: [] } }] }))
      .toEqual({ error: `${p}QuotaInfo must not include non-scalar resources` });
    expect(set({ role: "a/b", guarantee: [cpus(1)] })).toEqual({ error: "Setting quota on nested role 'a/b' is not supported yet" });
    expect(set({ role: "dev", guarantee: [cpus(2e12)] }))
      .toEqual({ error: `${p}Invalid 'QuotaConfig.guarantees': {'cpus': 2000000000000} is invalid: values greater than 1 trillion (1000000000000) are not supported` });
  });

  test("request shape errors", () => {
    expect(readShape(() => parseQuotaRequest({ role: "r", guarantee: [{ name: "cpus" }] }))).toEqual({ error: "Missing required fields: guarantee[0].type" });
    expect(readShape(() => parseQuotaRequest({ role: "r", guarantee: [{ name: "cpus", type: "FLOAT" }] }))).toEqual({ error: "Failed to find enum for 'FLOAT'" });
    expect(readShape(() => parseQuotaRequest({ role: "r", force: "yes" }))).toEqual({ error: "Not expecting a JSON string for field 'force'" });
  });
});

describe("QuotaStatus view", () => {
  test("{} without quota; infos carry non-zero guarantees, configs guarantees and limits, by role", () => {
    expect(quotaStatusJson({})).toEqual({});
    const quota_configs: QuotaConfig[] = [{ role: "z", limits: { cpus: q(0) } }, { role: "a", guarantees: { mem: q(1), cpus: q(0) }, limits: { mem: q(2) } }];
    const registry = { quota_configs };
    expect(quotaStatusJson(registry)).toEqual({
      infos: [{ role: "a", guarantee: [{ name: "mem", type: "SCALAR", scalar: q(1) }] }, { role: "z" }],
      configs: [{ role: "a", guarantees: { mem: q(1) }, limits: { mem: q(2) } }, { role: "z", limits: { cpus: q(0) } }],
    });
  });
});
