// Proves --resources and --attributes parse into Mesos v1 Resource/Attribute JSON, bad input is refused with what was expected, and given resources override detected ones.
import { describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import {
  detectResources, mergeResources, parseAttributes, parseResources, type Resource, summarizeAttributes, summarizeResources,
} from "../../host/agent/resources.ts";

describe("parseResources", () => {
  test("scalars, ranges and sets in the text form, role * by default", () => {
    expect(parseResources("cpus:4;mem:8192;disk:100000;ports:[31000-32000]")).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 4 }, role: "*" },
      { name: "mem", type: "SCALAR", scalar: { value: 8192 }, role: "*" },
      { name: "disk", type: "SCALAR", scalar: { value: 100000 }, role: "*" },
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 32000 }] }, role: "*" },
    ]);
    expect(JSON.stringify(parseResources("cpus:4")[0])).toBe('{"name":"cpus","type":"SCALAR","scalar":{"value":4},"role":"*"}');
  });
  test("roles, fractional scalars, several ranges (sorted) and sets, with whitespace", () => {
    expect(parseResources(" cpus(ads):0.5 ; ports:[2000-2010, 1000-1005]; disks:{a,b} ")).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, role: "ads" },
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 1000, end: 1005 }, { begin: 2000, end: 2010 }] }, role: "*" },
      { name: "disks", type: "SET", set: { item: ["a", "b"] }, role: "*" },
    ]);
  });
  test("a JSON array of v1 Resource", () => {
    const json = '[{"name":"cpus","type":"SCALAR","scalar":{"value":2}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":2}]},"role":"r"}]';
    expect(parseResources(json)).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 2 }, role: "*" },
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 1, end: 2 }] }, role: "r" },
    ]);
  });
  const bad: [string, RegExp][] = [
    ["cpus", /bad entry 'cpus'/],
    ["cpus:x", /bad scalar in 'cpus:x'/],
    ["cpus:-1", /bad scalar/],
    ["ports:[5-1]", /not an increasing integer range/],
    ["ports:[1-5,3-8]", /ranges overlap/],
    ["ports:[1-5", /expected \[begin-end/],
    ["ports:[a-b]", /'a-b' is not begin-end/],
    ["cpus:1;cpus:2", /cpus\(\*\) given more than once/],
    ["cpus(/x):1", /bad role '\/x'/],
    ["c pus:1", /bad name/],
    ["", /resources like/],
    ["[{\"name\":\"cpus\"}]", /resource 0: type SCALAR, RANGES or SET/],
    ["[1,", /not JSON/],
    ["d:{}", /bad set/],
  ];
  for (const [text, pattern] of bad) {
    test(`refuses '${text}'`, () => expect(() => parseResources(text)).toThrow(pattern));
  }
});

describe("parseAttributes", () => {
  test("TEXT, SCALAR and RANGES by value", () => {
    expect(parseAttributes("rack:a;zone:1;weight:2.5;slots:[1-4]")).toEqual([
      { name: "rack", type: "TEXT", text: { value: "a" } },
      { name: "zone", type: "SCALAR", scalar: { value: 1 } },
      { name: "weight", type: "SCALAR", scalar: { value: 2.5 } },
      { name: "slots", type: "RANGES", ranges: { range: [{ begin: 1, end: 4 }] } },
    ]);
    expect(summarizeAttributes(parseAttributes("rack:a;zone:1"))).toEqual({ rack: "a", zone: 1 });
  });
  for (const text of ["rack", "rack:a:b", ":a", "rack:", ""]) {
    test(`refuses '${text}'`, () => expect(() => parseAttributes(text)).toThrow(/attributes like rack:a;zone:1/));
  }
});

describe("detection and merging", () => {
  test("detects cpus, mem and disk with Mesos's reservations, and the default ports", () => {
    const detected = detectResources(tmpdir());
    expect(detected.map((r) => r.name)).toEqual(["cpus", "mem", "disk", "ports"]);
    const scalar = (name: string) => (detected.find((r) => r.name === name) as Extract<Resource, { type: "SCALAR" }>).scalar.value;
    expect(scalar("cpus")).toBeGreaterThanOrEqual(1);
    expect(scalar("mem")).toBeGreaterThan(0);
    expect(scalar("disk")).toBeGreaterThan(0);
    expect(detected[3]).toEqual({ name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 32000 }] }, role: "*" });
  });
  test("given resources replace detected ones of the same name; others follow", () => {
    const detected = parseResources("cpus:8;mem:100;disk:200;ports:[31000-32000]");
    const merged = mergeResources(parseResources("gpus:1;mem(r):50;cpus:2"), () => detected);
    expect(summarizeResources(merged)).toEqual({ cpus: 2, mem: 50, disk: 200, ports: "[31000-32000]", gpus: 1 });
    expect(merged.map((r) => `${r.name}(${r.role})`)).toEqual(["cpus(*)", "mem(r)", "disk(*)", "ports(*)", "gpus(*)"]);
  });
  test("detection is skipped when every detected name is given", () => {
    const given = parseResources("cpus:1;mem:2;disk:3;ports:[1-2]");
    expect(mergeResources(given, () => { throw new Error("detected"); })).toEqual(given);
  });
});
