// Preloaded by bun test: in-process masters log to a discarded sink unless MESOS_TEST_LOGS=1,
// so test output shows results, not glog lines. Tests that check logging set their own sink.
import { setLogSink } from "../host/logging.ts";

if (process.env.MESOS_TEST_LOGS !== "1") setLogSink(() => {});
