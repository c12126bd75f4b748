// Builds an in-process Master (no sockets) for HTTP and service tests.
import { parseMasterFlags } from "../../host/master/flags.ts";
import { makeMasterInfo, type MasterInfo } from "../../host/master/info.ts";
import { Master } from "../../host/master/master.ts";

export function testMaster(argv: string[] = [], exits: number[] = []): Master {
  const result = parseMasterFlags(["--registry=in_memory", "--ip=127.0.0.1", ...argv], {});
  if (result.kind !== "flags") throw new Error("flags expected");
  const info = makeMasterInfo("127.0.0.1", result.values.port, "m1.example.com");
  return new Master({
    flags: result.values,
    info,
    exit: (status) => {
      exits.push(status);
      throw new Error(`exit ${status}`);
    },
    // A registry failure aborts a real master; here it must not abort the test runner.
    abort: () => {
      exits.push(134);
      throw new Error("abort");
    },
  });
}

export function otherMaster(hostname = "m2.example.com", port = 5051): MasterInfo {
  return makeMasterInfo("10.0.0.2", port, hostname);
}
