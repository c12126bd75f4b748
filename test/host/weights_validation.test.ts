// Proves Mesos's role-name rules and weight validation (roles.cpp, weights_handler.cpp) as pure functions, the weights request shape, and that --weights applies only while the registry has none.
import { describe, expect, test } from "bun:test";
import { readShape } from "../../host/master/registry_requests.ts";
import { parseWeightInfos, validateRole, validateWeights, weightsJson } from "../../host/master/weights.ts";

describe("role names", () => {
  test("valid roles, including '*' and nested paths", () => {
    for (const role of ["*", "dev", "eng/backend", "a.b", "x-y", "_"]) expect(validateRole(role)).toBeNull();
  });

  test("each invalid form refuses with Mesos's text", () => {
    expect(validateRole("")).toBe("Role names cannot be the empty string");
    expect(validateRole("/a")).toBe("Role '/a' cannot start with a slash");
    expect(validateRole("a/")).toBe("Role 'a/' cannot end with a slash");
    expect(validateRole("a//b")).toBe("Role 'a//b' cannot contain two adjacent slashes");
    expect(validateRole("a/./b")).toBe("Role 'a/./b' cannot include '.' as a component");
    expect(validateRole("..")).toBe("Role '..' cannot include '..' as a component");
    expect(validateRole("a/*")).toBe("Role 'a/*' cannot include '*' as a component");
    expect(validateRole("-a")).toBe("Role component '-a' is invalid because it starts with a dash");
    expect(validateRole("a b")).toBe("Role component 'a b' is invalid because it contains backspace or whitespace");
    expect(validateRole("a\tb")).toBe("Role component 'a\tb' is invalid because it contains backspace or whitespace");
  });
});

describe("weights", () => {
  test("roles are trimmed; weights must be positive; a role appears once", () => {
    expect(validateWeights([{ role: " dev ", weight: 2.5 }])).toEqual({ value: [{ role: "dev", weight: 2.5 }] });
    expect(validateWeights([{ role: "dev", weight: 0 }]))
      .toEqual({ error: "Failed to validate update weights request JSON for role 'dev': Invalid weight '0': Weights must be positive" });
    expect(validateWeights([{ role: "dev", weight: -1 }]))
      .toEqual({ error: "Failed to validate update weights request JSON for role 'dev': Invalid weight '-1': Weights must be positive" });
    expect(validateWeights([{ role: "a//b", weight: 1 }]))
      .toEqual({ error: "Failed to validate update weights request JSON: Invalid role 'a//b': Role 'a//b' cannot contain two adjacent slashes" });
    expect(validateWeights([{ role: "dev", weight: 1 }, { role: "dev ", weight: 2 }]))
      .toEqual({ error: "Failed to validate update weights request JSON: Role 'dev' appears more than once" });
    expect(validateWeights([])).toEqual({ value: [] });
  });

  test("the request is a JSON array of {role, weight} with weight required", () => {
    expect(parseWeightInfos([{ role: "a", weight: 1 }])).toEqual([{ role: "a", weight: 1 }]);
    expect(readShape(() => parseWeightInfos({ role: "a" }))).toEqual({ error: "Expecting a JSON array" });
    expect(readShape(() => parseWeightInfos([{ role: "a" }]))).toEqual({ error: "Missing required fields: [0].weight" });
    expect(readShape(() => parseWeightInfos([{ role: "a", weight: "x" }]))).toEqual({ error: "Failed to convert 'x' to number for field 'weight'" });
    expect(readShape(() => parseWeightInfos([{ role: "a", weight: true }]))).toEqual({ error: "Not expecting a JSON boolean for field 'weight'" });
    expect(readShape(() => parseWeightInfos([{ role: "a", weight: 1e999 }]))).toEqual({ error: "Expecting a finite number for field 'weight'" });
  });

  test("the registry's weights win over --weights; sorted by role", () => {
    expect(weightsJson({}, { b: 2, a: 1 })).toEqual([{ role: "a", weight: 1 }, { role: "b", weight: 2 }]);
    expect(weightsJson({ weights: [{ info: { role: "c", weight: 3 } }] }, { a: 1 })).toEqual([{ role: "c", weight: 3 }]);
    expect(weightsJson({}, undefined)).toEqual([]);
  });
});
