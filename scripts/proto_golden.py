#!/usr/bin/python3
# Makes test/fixtures/mesos_proto_golden.json: golden protobuf bytes for this project's v1
# schemas, produced outside this code, by protoc-compiled Python from Apache Mesos's own .proto
# files. Each vector's JSON (Mesos's JSON: proto field names, enums by name, bytes base64) is
# parsed with protobuf's json_format into Mesos's message and serialized; the tests then check
# that host/codec/protobuf.ts decodes the bytes to the JSON and encodes the JSON to the bytes.
#
#   sudo apt-get install -y protobuf-compiler python3-protobuf
#   /usr/bin/python3 scripts/proto_golden.py /path/to/apache/mesos   # a checkout of its source
#
# The scheduler API's vectors are kept from the fixture as they are (their hex recomputed);
# the operator APIs' are listed below. Not run by the test suite: its output is committed.
import copy
import json
import os
import subprocess
import sys
import tempfile

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "mesos_proto_golden.json")
PROTOS = ["mesos/v1/mesos.proto", "mesos/v1/scheduler/scheduler.proto", "mesos/v1/master/master.proto", "mesos/v1/agent/agent.proto",
          "mesos/v1/maintenance/maintenance.proto", "mesos/v1/quota/quota.proto", "mesos/v1/allocator/allocator.proto"]

R = lambda name, value: {"name": name, "type": "SCALAR", "scalar": {"value": value}}
ID = lambda value: {"value": value}
PORTS = {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 32000}]}}
AGENT_INFO = {"hostname": "a1", "port": 5051, "id": ID("M-S0"), "resources": [R("cpus", 4), R("mem", 1024), PORTS],
              "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}]}
FRAMEWORK_INFO = {"user": "root", "name": "web", "id": ID("M-0000"), "roles": ["*"], "capabilities": [{"type": "MULTI_ROLE"}], "failover_timeout": 60}
STATUS = {"task_id": ID("t1"), "state": "TASK_RUNNING", "source": "SOURCE_EXECUTOR", "agent_id": ID("M-S0"), "timestamp": 1765123456.25,
          "uuid": "AAAAAAAAAAAAAAAAAAAAAQ==", "container_status": {"container_id": ID("c1"), "executor_pid": 4242}}
TASK = {"name": "t1", "task_id": ID("t1"), "framework_id": ID("M-0000"), "agent_id": ID("M-S0"), "executor_id": ID("t1"), "state": "TASK_RUNNING",
        "resources": [R("cpus", 0.5), R("mem", 64)], "statuses": [STATUS], "status_update_state": "TASK_RUNNING",
        "status_update_uuid": "AAAAAAAAAAAAAAAAAAAAAQ==", "user": "root", "labels": {"labels": [{"key": "team", "value": "web"}]}}
AGENT = {"agent_info": AGENT_INFO, "active": False, "deactivated": True, "version": "1.12.0", "pid": "slave(1)@10.0.0.1:5051",
         "registered_time": {"nanoseconds": 1765123456000000000}, "total_resources": [R("cpus", 4)], "allocated_resources": [R("cpus", 0.5)],
         "capabilities": [{"type": "MULTI_ROLE"}, {"type": "AGENT_DRAINING"}],
         "drain_info": {"state": "DRAINED", "config": {"max_grace_period": {"nanoseconds": 600000000005}, "mark_gone": False}}}
OFFER = {"id": ID("M-O1"), "framework_id": ID("M-0000"), "agent_id": ID("M-S0"), "hostname": "a1", "resources": [R("cpus", 3.5)],
         "allocation_info": {"role": "*"}}
FRAMEWORK = {"framework_info": FRAMEWORK_INFO, "active": True, "connected": True, "recovered": False,
             "registered_time": {"nanoseconds": 1765123456000000000}, "offers": [OFFER], "allocated_resources": [R("cpus", 0.5)],
             "offered_resources": [R("cpus", 3.5)], "offer_constraints": {}}
MACHINE = {"hostname": "m1", "ip": "10.0.0.9"}
STATE = {"get_tasks": {"tasks": [TASK]}, "get_executors": {}, "get_frameworks": {"frameworks": [FRAMEWORK]}, "get_agents": {"agents": [AGENT]}}

# Status traffic as this master's agents and the master itself make it (the shapes the fast path,
# host/codec/protobuf_fast.ts, takes): added to the scheduler vectors once, then kept like them.
SCHEDULER = "mesos.v1.scheduler."
STATUS_VECTORS = [
    (SCHEDULER + "Event", {"type": "UPDATE", "update": {"status": {"task_id": ID("task-0001"), "state": "TASK_RUNNING", "source": "SOURCE_EXECUTOR",
        "agent_id": ID("M-S0"), "timestamp": 1765123456.125, "uuid": "EjRWeJCrze8SNFZ4kKvN7w=="}}}),
    (SCHEDULER + "Event", {"type": "UPDATE", "update": {"status": {"task_id": ID("t3"), "state": "TASK_FINISHED", "message": "Command exited with status 0 " + "." * 130,
        "source": "SOURCE_EXECUTOR", "agent_id": ID("M-S1"), "executor_id": ID("t3"), "timestamp": 1765123457.5, "healthy": True,
        "data": "aGVsbG8=", "uuid": "AAECAwQFBgcICQoLDA0ODw=="}}}),
    (SCHEDULER + "Event", {"type": "UPDATE", "update": {"status": {"task_id": ID("t4"), "state": "TASK_LOST", "source": "SOURCE_MASTER",
        "reason": "REASON_AGENT_REMOVED", "message": "Agent removed", "agent_id": ID("M-S2"), "timestamp": 0.5, "healthy": False}}}),
    (SCHEDULER + "Call", {"type": "ACKNOWLEDGE", "framework_id": ID("M-0002"), "acknowledge": {"agent_id": ID("M-S1"), "task_id": ID("t3"),
        "uuid": "AAECAwQFBgcICQoLDA0ODw=="}}),
]

MASTER = "mesos.v1.master."
AGENT_API = "mesos.v1.agent."
OPERATOR_VECTORS = [
    (MASTER + "Call", {"type": "GET_STATE"}),
    (MASTER + "Call", {"type": "SUBSCRIBE"}),
    (MASTER + "Call", {"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [{"role": "dev", "weight": 2.5}]}}),
    # Exact int64 past 2^53: the JSON carries it as a string (decoded with exact=true).
    (MASTER + "Call", {"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": {"schedule": {"windows": [{"machine_ids": [MACHINE],
        "unavailability": {"start": {"nanoseconds": "1900000000000000001"}, "duration": {"nanoseconds": "3600000000000"}}}]}}}, True),
    (MASTER + "Call", {"type": "START_MAINTENANCE", "start_maintenance": {"machines": [MACHINE]}}),
    (MASTER + "Call", {"type": "STOP_MAINTENANCE", "stop_maintenance": {"machines": [{"hostname": "m1"}]}}),
    (MASTER + "Call", {"type": "DRAIN_AGENT", "drain_agent": {"agent_id": ID("M-S0"), "max_grace_period": {"seconds": 600, "nanos": 5}, "mark_gone": True}}),
    (MASTER + "Call", {"type": "DEACTIVATE_AGENT", "deactivate_agent": {"agent_id": ID("M-S0")}}),
    (MASTER + "Call", {"type": "REACTIVATE_AGENT", "reactivate_agent": {"agent_id": ID("M-S0")}}),
    (MASTER + "Call", {"type": "MARK_AGENT_GONE", "mark_agent_gone": {"agent_id": ID("M-S0")}}),
    (MASTER + "Call", {"type": "UPDATE_QUOTA", "update_quota": {"force": True, "quota_configs": [{"role": "dev", "guarantees": {"cpus": {"value": 1}},
        "limits": {"cpus": {"value": 4}, "mem": {"value": 512}}}]}}),
    (MASTER + "Call", {"type": "TEARDOWN", "teardown": {"framework_id": ID("M-0000")}}),
    (MASTER + "Response", {"type": "GET_HEALTH", "get_health": {"healthy": True}}),
    (MASTER + "Response", {"type": "GET_FLAGS", "get_flags": {"flags": [{"name": "port", "value": "5050"}, {"name": "quorum", "value": "2"}]}}),
    (MASTER + "Response", {"type": "GET_VERSION", "get_version": {"version_info": {"version": "1.12.0", "build_date": "2026-12-07", "build_time": 1765123456,
        "build_user": "mesos-ha", "git_sha": "633fcc2"}}}),
    (MASTER + "Response", {"type": "GET_MASTER", "get_master": {"master_info": {"id": "M", "ip": 16777343, "port": 5050, "pid": "master@127.0.0.1:5050",
        "hostname": "m1", "version": "1.12.0", "address": {"hostname": "m1", "ip": "127.0.0.1", "port": 5050}, "capabilities": [{"type": "AGENT_UPDATE"}]},
        "start_time": 1765123456.5, "elected_time": 1765123457.25}}),
    (MASTER + "Response", {"type": "GET_STATE", "get_state": STATE}),
    (MASTER + "Response", {"type": "GET_AGENTS", "get_agents": {"agents": [AGENT], "recovered_agents": [AGENT_INFO]}}),
    (MASTER + "Response", {"type": "GET_FRAMEWORKS", "get_frameworks": {"frameworks": [FRAMEWORK], "completed_frameworks": [dict(FRAMEWORK, active=False, connected=False,
        unregistered_time={"nanoseconds": 1765123999000000000})]}}),
    (MASTER + "Response", {"type": "GET_TASKS", "get_tasks": {"tasks": [TASK], "completed_tasks": [dict(TASK, state="TASK_FINISHED")],
        "unreachable_tasks": [dict(TASK, task_id=ID("t2"), state="TASK_UNREACHABLE")]}}),
    (MASTER + "Response", {"type": "GET_EXECUTORS", "get_executors": {}}),
    (MASTER + "Response", {"type": "GET_ROLES", "get_roles": {"roles": [{"name": "*", "weight": 1, "frameworks": [ID("M-0000")], "resources": [R("cpus", 0.5)]},
        {"name": "dev", "weight": 2.5}]}}),
    (MASTER + "Response", {"type": "GET_WEIGHTS", "get_weights": {"weight_infos": [{"role": "dev", "weight": 2.5}]}}),
    (MASTER + "Response", {"type": "GET_MAINTENANCE_STATUS", "get_maintenance_status": {"status": {"draining_machines": [{"id": MACHINE}], "down_machines": [{"hostname": "m2"}]}}}),
    (MASTER + "Response", {"type": "GET_MAINTENANCE_SCHEDULE", "get_maintenance_schedule": {"schedule": {"windows": [{"machine_ids": [MACHINE],
        "unavailability": {"start": {"nanoseconds": 1765123456000000000}}}]}}}),
    (MASTER + "Response", {"type": "GET_QUOTA", "get_quota": {"status": {"infos": [{"role": "dev", "guarantee": [R("cpus", 1)]}],
        "configs": [{"role": "dev", "guarantees": {"cpus": {"value": 1}}, "limits": {"cpus": {"value": 4}}}]}}}),
    (MASTER + "Event", {"type": "SUBSCRIBED", "subscribed": {"get_state": STATE, "heartbeat_interval_seconds": 15}}),
    (MASTER + "Event", {"type": "TASK_ADDED", "task_added": {"task": {k: v for k, v in TASK.items() if k not in ("statuses", "status_update_state", "status_update_uuid")} | {"state": "TASK_STAGING"}}}),
    (MASTER + "Event", {"type": "TASK_UPDATED", "task_updated": {"framework_id": ID("M-0000"), "status": STATUS, "state": "TASK_RUNNING"}}),
    (MASTER + "Event", {"type": "AGENT_ADDED", "agent_added": {"agent": AGENT}}),
    (MASTER + "Event", {"type": "AGENT_REMOVED", "agent_removed": {"agent_id": ID("M-S0")}}),
    (MASTER + "Event", {"type": "FRAMEWORK_ADDED", "framework_added": {"framework": FRAMEWORK}}),
    (MASTER + "Event", {"type": "FRAMEWORK_UPDATED", "framework_updated": {"framework": FRAMEWORK}}),
    (MASTER + "Event", {"type": "FRAMEWORK_REMOVED", "framework_removed": {"framework_info": FRAMEWORK_INFO}}),
    (MASTER + "Event", {"type": "HEARTBEAT"}),
    (AGENT_API + "Call", {"type": "GET_STATE"}),
    (AGENT_API + "Call", {"type": "LIST_FILES", "list_files": {"path": "/frameworks/M-0000/executors/t1/runs/latest"}}),
    (AGENT_API + "Call", {"type": "READ_FILE", "read_file": {"path": "/frameworks/M-0000/executors/t1/runs/latest/stdout", "offset": 16, "length": 4096}}),
    (AGENT_API + "Call", {"type": "GET_CONTAINERS", "get_containers": {"show_nested": True, "show_standalone": False}}),
    (AGENT_API + "Call", {"type": "LAUNCH_NESTED_CONTAINER_SESSION"}),
    (AGENT_API + "Response", {"type": "GET_AGENT", "get_agent": {"agent_info": AGENT_INFO}}),
    (AGENT_API + "Response", {"type": "GET_STATE", "get_state": {"get_tasks": {"launched_tasks": [TASK], "completed_tasks": [dict(TASK, state="TASK_FINISHED")]},
        "get_executors": {"executors": [{"executor_info": {"executor_id": ID("t1"), "framework_id": ID("M-0000"), "name": "Command Executor (Task: t1)", "source": "t1",
        "command": {"value": "echo hi", "shell": True}, "resources": [R("cpus", 0.1)]}}]}, "get_frameworks": {"frameworks": [{"framework_info": FRAMEWORK_INFO}]}}}),
    (AGENT_API + "Response", {"type": "GET_CONTAINERS", "get_containers": {"containers": [{"framework_id": ID("M-0000"), "executor_id": ID("t1"),
        "executor_name": "Command Executor (Task: t1)", "container_id": ID("c1"), "container_status": {"container_id": ID("c1"), "executor_pid": 4242},
        "resource_statistics": {"timestamp": 1765123456.5, "processes": 2, "threads": 3, "cpus_user_time_secs": 0.25, "cpus_system_time_secs": 0.125,
        "cpus_limit": 0.1, "mem_rss_bytes": 1048576, "mem_limit_bytes": 33554432}}]}}),
    (AGENT_API + "Response", {"type": "LIST_FILES", "list_files": {"file_infos": [{"path": "/sandbox/stdout", "nlink": 1, "size": 23,
        "mtime": {"nanoseconds": 1765123456000000000}, "mode": 33188, "uid": "root", "gid": "root"}]}}),
    (AGENT_API + "Response", {"type": "READ_FILE", "read_file": {"size": 23, "data": "aGVsbG8gZnJvbSB0aGUgc2FuZGJveAo="}}),
    (AGENT_API + "Response", {"type": "GET_OPERATIONS", "get_operations": {}}),
]


def protobuf_json(json_value, type_name):
    """Mesos's JSON (a Duration as {seconds, nanos}) in json_format's mapping (a Duration as "600.000000005s")."""
    value = copy.deepcopy(json_value)
    grace = value.get("drain_agent", {}).get("max_grace_period")
    if grace is not None:
        value["drain_agent"]["max_grace_period"] = "%d.%09ds" % (grace.get("seconds", 0), grace.get("nanos", 0))
    return value


def compile_protos(mesos_root, out):
    include = os.path.join(mesos_root, "include")
    subprocess.run(["protoc", "-I", include, "-I", "/usr/include", "--python_out", out, *PROTOS], check=True)
    sys.path.insert(0, out)
    from google.protobuf import json_format, symbol_database
    import importlib
    for proto in PROTOS:
        importlib.import_module(proto[:-len(".proto")].replace("/", ".") + "_pb2")
    return json_format, symbol_database.Default()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: proto_golden.py MESOS_SOURCE_DIR")
    with open(FIXTURE) as f:
        fixture = json.load(f)
    kept = [v for v in fixture["vectors"] if v["message"].startswith("mesos.v1.scheduler.")]
    wanted = [(v["message"], v["json"], v.get("exact", False)) for v in kept]
    wanted += [(m, j, False) for m, j in STATUS_VECTORS if not any(v["message"] == m and v["json"] == j for v in kept)]
    wanted += [(entry[0], entry[1], entry[2] if len(entry) > 2 else False) for entry in OPERATOR_VECTORS]
    with tempfile.TemporaryDirectory() as out:
        json_format, database = compile_protos(sys.argv[1], out)
        vectors = []
        for message, value, exact in wanted:
            parsed = json_format.ParseDict(protobuf_json(value, message), database.GetSymbol(message)())
            vector = {"message": message, "json": value, "hex": parsed.SerializeToString(deterministic=True).hex()}
            if exact:
                vector["exact"] = True
            vectors.append(vector)
    import google.protobuf
    fixture = {
        "made_with": "protoc %s --python_out from apache/mesos include/%s, python3-protobuf %s: json_format.ParseDict(json), SerializeToString(deterministic=True) (scripts/proto_golden.py)"
        % (subprocess.run(["protoc", "--version"], capture_output=True, text=True).stdout.split()[-1], ",".join(PROTOS), google.protobuf.__version__),
        "vectors": vectors,
    }
    with open(FIXTURE, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(vectors), os.path.relpath(FIXTURE)))


main()
