#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks batch/v1 Job JSON against an independent model of the Kubernetes API.

Debian's python3-kubernetes carries the generated models of the API (V1Job and
every nested type, with field types and required fields, as of Kubernetes
1.22). Each Job given (a JSON object, or a list of them, on stdin or in the
files named) is deserialised into V1Job and serialised back; the check fails
when a field is lost (not in the model: a typo or a misplaced key), when a
value changes type on the way (an int where the API wants a string, ...), or
when a required field is missing (the model refuses to build).

Exit 0 when every Job passes, 1 with one line per problem otherwise, 2 when
python3-kubernetes is not installed (scripts/setup.sh installs it).
"""
import json
import sys

try:
    from kubernetes.client import ApiClient
except ImportError:
    print("check_v1job: python3-kubernetes is not installed "
          "(apt-get install python3-kubernetes; scripts/setup.sh does)",
          file=sys.stderr)
    sys.exit(2)


def diff(sent, back, path, problems, model="V1Job"):
    """Appends to `problems` each difference between `sent` and `back` (the
    same object deserialised into `model` and serialised again)."""
    if isinstance(sent, dict):
        if not isinstance(back, dict):
            problems.append(f"{path or '.'}: an object became {back!r}")
            return
        for key, value in sent.items():
            if key not in back:
                if value is not None:
                    problems.append(f"{path}.{key}: lost (no such field in "
                                    f"the {model} model)")
            else:
                diff(value, back[key], f"{path}.{key}", problems, model)
    elif isinstance(sent, list):
        if not isinstance(back, list) or len(back) != len(sent):
            problems.append(f"{path}: a list became {back!r}")
            return
        for i, (a, b) in enumerate(zip(sent, back)):
            diff(a, b, f"{path}[{i}]", problems, model)
    elif type(sent) is not type(back) or sent != back:
        problems.append(f"{path}: {sent!r} became {back!r} (wrong type for "
                        "this field?)")


def check(job):
    client = ApiClient()
    try:
        model = client._ApiClient__deserialize(job, "V1Job")
    except (ValueError, TypeError) as e:
        return [f"not a valid V1Job: {e}"]
    problems = []
    diff(job, client.sanitize_for_serialization(model), "", problems)
    return problems


def self_test():
    """The checker catches a misplaced field, a wrong type and a missing
    required field; a minimal valid Job passes."""
    good = {"apiVersion": "batch/v1", "kind": "Job",
            "spec": {"template": {"spec": {"containers": [
                {"name": "w", "image": "i", "env": [{"name": "A",
                                                      "value": "1"}]}]}}}}
    bad = json.loads(json.dumps(good))
    bad["spec"]["backoffLimitt"] = 4
    bad["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = 1
    missing = json.loads(json.dumps(good))
    del missing["spec"]["template"]["spec"]["containers"][0]["name"]
    found = check(bad)
    ok = (check(good) == [] and len(found) == 2
          and any("backoffLimitt: lost" in f for f in found)
          and any("became '1'" in f for f in found)
          and check(missing)[0].startswith("not a valid V1Job"))
    print("check_v1job: self-test", "passed" if ok else f"FAILED: {found}")
    return 0 if ok else 1


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    texts = [open(p).read() for p in argv[1:]] or [sys.stdin.read()]
    jobs = []
    for text in texts:
        doc = json.loads(text)
        jobs.extend(doc if isinstance(doc, list) else [doc])
    if not jobs:
        print("check_v1job: no Job given", file=sys.stderr)
        return 1
    failed = False
    for i, job in enumerate(jobs):
        name = job.get("metadata", {}).get("generateName", f"#{i}")
        for p in check(job):
            print(f"{name}: {p}")
            failed = True
    if not failed:
        print(f"check_v1job: {len(jobs)} Job(s) match the V1Job model")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
