# SPDX-License-Identifier: Apache-2.0
"""Object checks: built-in kinds against python3-kubernetes' models, the
CRDs' structure, custom resources against their CRD's schema, and the
references between objects (namespaces, Secrets, selectors, ports).

Each check takes the list of manifests.Doc and returns a list of problems
(strings naming file:line, kind and name, and what is wrong).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "src", "executors", "kubernetes",
                                "testing"))
from check_v1job import diff  # noqa: E402  (exits 2 without the models)
from kubernetes import client as kube  # noqa: E402

import manifests  # noqa: E402

# Custom resources' kinds and what their CRD must say (KEDA's names).
EXPECTED_CRDS = {
    "scaledjobs.keda.sh": ("ScaledJob", "Namespaced"),
    "triggerauthentications.keda.sh": ("TriggerAuthentication", "Namespaced"),
    "clustertriggerauthentications.keda.sh": ("ClusterTriggerAuthentication",
                                              "Cluster"),
}
# Secrets the manifests refer to without defining them: who creates them.
EXTERNAL_SECRETS = {
    ("ebb-system", "ebb-api-token"):
        "created by hand before installing (docs/kubernetes.md)",
}
NOT_OBJECTS = {"Kustomization"}
PRINTER_TYPES = {"integer", "number", "string", "boolean", "date"}


def model_name(api_version, kind):
    """The python3-kubernetes model class of apiVersion/kind, or None."""
    version = api_version.split("/")[-1]
    name = version[:1].upper() + version[1:] + kind
    return name if hasattr(kube.models, name) else None


def round_trip(obj, model, where):
    """Problems of `obj` as an instance of `model`: lost fields, changed
    types, missing required fields."""
    api = kube.ApiClient()
    try:
        back = api.sanitize_for_serialization(
            api._ApiClient__deserialize(obj, model))
    except (ValueError, TypeError) as e:
        return [f"{where}: not a valid {model}: {e}"]
    problems = []
    diff(obj, back, "", problems, model)
    return [f"{where}: {p}" for p in problems]


def check_builtin(docs):
    problems = []
    for d in docs:
        if d.kind in NOT_OBJECTS or d.api_version.split("/")[0] == "keda.sh":
            continue
        if not d.kind or not d.api_version:
            problems.append(f"{d.where()}: apiVersion and kind are required")
            continue
        model = model_name(d.api_version, d.kind)
        if model is None:
            problems.append(f"{d.where()}: {d.api_version} {d.kind} is not a "
                            "kind the Kubernetes models know")
            continue
        problems += round_trip(d.obj, model, d.where())
    return problems


def _schema_nodes(schema, path):
    """(path, node) for every node of a JSON schema."""
    yield path, schema
    for key, child in (schema.get("properties") or {}).items():
        yield from _schema_nodes(child, f"{path}.{key}")
    if isinstance(schema.get("items"), dict):
        yield from _schema_nodes(schema["items"], f"{path}[]")


def check_crds(docs):
    """apiextensions.k8s.io/v1 structure: names, one storage version, a
    structural schema (every node typed), the status subresource, printer
    columns; and exactly KEDA's three kinds."""
    problems, found = [], set()
    for d in docs:
        if d.kind != "CustomResourceDefinition":
            continue
        w, spec = d.where(), d.obj.get("spec") or {}
        group, names = spec.get("group", ""), spec.get("names") or {}
        found.add(d.name)
        if d.api_version != "apiextensions.k8s.io/v1":
            problems.append(f"{w}: apiVersion {d.api_version}, not "
                            "apiextensions.k8s.io/v1")
        if d.name != f"{names.get('plural')}.{group}":
            problems.append(f"{w}: the name must be <plural>.<group> "
                            f"({names.get('plural')}.{group})")
        want = EXPECTED_CRDS.get(d.name)
        if want is None:
            problems.append(f"{w}: not one of KEDA's CRDs ebb reads "
                            f"({', '.join(sorted(EXPECTED_CRDS))})")
        elif (names.get("kind"), spec.get("scope")) != want:
            problems.append(f"{w}: kind/scope {names.get('kind')}/"
                            f"{spec.get('scope')}, KEDA's are {want[0]}/"
                            f"{want[1]}")
        if names.get("listKind") != f"{names.get('kind')}List":
            problems.append(f"{w}: listKind must be {names.get('kind')}List")
        if names.get("singular") != str(names.get("kind", "")).lower():
            problems.append(f"{w}: singular must be the lower-case kind")
        versions = spec.get("versions") or []
        if [v.get("storage") for v in versions].count(True) != 1:
            problems.append(f"{w}: exactly one version must be the storage "
                            "version")
        if "v1alpha1" not in [v.get("name") for v in versions if
                              v.get("served")]:
            problems.append(f"{w}: v1alpha1 (KEDA's version) is not served")
        for v in versions:
            problems += _check_crd_version(w, v)
    for name in sorted(set(EXPECTED_CRDS) - found):
        problems.append(f"crds/: no CustomResourceDefinition {name}")
    return problems


def _check_crd_version(w, v):
    problems = []
    vw = f"{w}: version {v.get('name')}"
    schema = (v.get("schema") or {}).get("openAPIV3Schema")
    if not isinstance(schema, dict):
        return [f"{vw}: no schema.openAPIV3Schema"]
    for path, node in _schema_nodes(schema, ""):
        if "type" not in node and not node.get("x-kubernetes-int-or-string"):
            problems.append(f"{vw}: schema node {path or '.'} has no type "
                            "(not a structural schema)")
    props = schema.get("properties") or {}
    for part in ("spec", "status"):
        node = props.get(part) or {}
        if node.get("type") != "object":
            problems.append(f"{vw}: schema has no object {part}")
        elif not node.get("x-kubernetes-preserve-unknown-fields") and not \
                node.get("properties"):
            problems.append(f"{vw}: {part} keeps no field (neither "
                            "properties nor x-kubernetes-preserve-unknown-"
                            "fields): the API server would prune it all")
    if (v.get("subresources") or {}).get("status") != {}:
        problems.append(f"{vw}: no status subresource (ebb writes the "
                        "ScaledJob's conditions through /status)")
    for col in v.get("additionalPrinterColumns") or []:
        if not str(col.get("jsonPath", "")).startswith(".") or \
                col.get("type") not in PRINTER_TYPES or not col.get("name"):
            problems.append(f"{vw}: printer column {col} needs a name, a "
                            f"jsonPath from '.', a type in {PRINTER_TYPES}")
    return problems


def validate_schema(value, schema, path, problems):
    """The API server's view of `value` under a structural schema: type,
    required, and fields it would prune (unknown where fields are not kept)."""
    want = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool,
             "integer": int, "number": (int, float)}
    if want in types and (not isinstance(value, types[want]) or (
            want in ("integer", "number") and isinstance(value, bool))):
        problems.append(f"{path or '.'}: {value!r} is not of type {want}")
        return
    if want == "object":
        for req in schema.get("required") or []:
            if req not in value:
                problems.append(f"{path}.{req}: required")
        props = schema.get("properties") or {}
        for key, child in value.items():
            if path == "" and key == "metadata":
                continue  # ObjectMeta: checked by the API server itself
            if key in props:
                validate_schema(child, props[key], f"{path}.{key}", problems)
            elif not schema.get("x-kubernetes-preserve-unknown-fields"):
                problems.append(f"{path}.{key}: not in the CRD's schema (the "
                                "API server would drop it)")
    elif want == "array" and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            validate_schema(item, schema["items"], f"{path}[{i}]", problems)


def crd_scopes(docs):
    """{(group, kind): (scope, served versions, schema by version)}."""
    out = {}
    for d in docs:
        if d.kind == "CustomResourceDefinition":
            spec = d.obj.get("spec") or {}
            versions = {v.get("name"): (v.get("schema") or {}).get(
                "openAPIV3Schema") or {} for v in spec.get("versions") or []
                if v.get("served")}
            out[(spec.get("group"), (spec.get("names") or {}).get("kind"))] = (
                spec.get("scope"), versions)
    return out


def check_custom_resources(docs):
    """Each keda.sh object against its CRD's schema, then what KEDA's own
    schema (and ebb) require of ScaledJobs and TriggerAuthentications."""
    problems, crds = [], crd_scopes(docs)
    for d in docs:
        group, _, version = d.api_version.partition("/")
        if group != "keda.sh" or d.kind == "CustomResourceDefinition":
            continue
        w = d.where()
        crd = crds.get((group, d.kind))
        if crd is None:
            problems.append(f"{w}: no CRD in crds/ defines {group} {d.kind}")
            continue
        scope, versions = crd
        if version not in versions:
            problems.append(f"{w}: {d.api_version} is not a served version")
            continue
        found = []
        validate_schema(d.obj, versions[version], "", found)
        problems += [f"{w}: {p}" for p in found]
        if d.kind == "ScaledJob":
            problems += _check_scaled_job(d, docs)
        elif d.kind in ("TriggerAuthentication",
                        "ClusterTriggerAuthentication"):
            for ref in (d.obj.get("spec") or {}).get("secretTargetRef") or []:
                if not all(isinstance(ref.get(k), str) and ref.get(k)
                           for k in ("parameter", "name", "key")):
                    problems.append(f"{w}: secretTargetRef {ref} needs "
                                    "parameter, name and key")
    return problems


def _check_scaled_job(d, docs):
    w, spec = d.where(), d.obj.get("spec") or {}
    problems = round_trip(spec.get("jobTargetRef") or {}, "V1JobSpec",
                          f"{w}: spec.jobTargetRef")
    auths = {(x.kind, x.namespace, x.name) for x in docs}
    for i, t in enumerate(spec.get("triggers") or []):
        tw = f"{w}: spec.triggers[{i}]"
        if t.get("type") != "rabbitmq":
            problems.append(f"{tw}: type {t.get('type')!r}: cluster mode "
                            "needs a rabbitmq trigger (pods cannot reach "
                            "ebb's embedded queue)")
        for key, value in (t.get("metadata") or {}).items():
            if not isinstance(value, str):
                problems.append(f"{tw}.metadata.{key}: {value!r} must be a "
                                "string (KEDA's CRD: map of strings; quote "
                                "it)")
        ref = t.get("authenticationRef")
        if ref:
            kind = ref.get("kind", "TriggerAuthentication")
            ns = d.namespace if kind == "TriggerAuthentication" else None
            if (kind, ns, ref.get("name")) not in auths:
                problems.append(f"{tw}.authenticationRef: no {kind} "
                                f"{ref.get('name')} in the manifests")
    return problems


def check_references(docs):
    """Namespaces exist and are explicit; Secrets and keys referred to exist;
    Services select pods and name their ports; Deployment selectors match."""
    problems = []
    crds = crd_scopes(docs)
    namespaces = {d.name for d in docs if d.kind == "Namespace"}
    secrets = {}
    for d in docs:
        if d.kind == "Secret":
            keys = set((d.obj.get("data") or {})) | set(
                (d.obj.get("stringData") or {}))
            secrets[(d.namespace, d.name)] = keys
    for d in docs:
        if d.kind in NOT_OBJECTS:
            continue
        w = d.where()
        custom = crds.get((d.api_version.split("/")[0], d.kind))
        cluster = (custom[0] == "Cluster") if custom else (
            d.kind in manifests.CLUSTER_SCOPED_KINDS)
        if cluster and d.namespace:
            problems.append(f"{w}: a cluster-scoped kind with a namespace")
        elif not cluster and not d.namespace:
            problems.append(f"{w}: no metadata.namespace (kubectl would use "
                            "the context's)")
        elif not cluster and d.namespace not in namespaces:
            problems.append(f"{w}: namespace {d.namespace} is not created by "
                            "these manifests")
        for path, pod in manifests.pod_specs(d):
            problems += _secret_refs(w, path, d.namespace, pod, secrets)
    problems += _selectors(docs)
    return problems


def _secret_refs(w, path, ns, pod, secrets):
    problems = []
    for c in manifests.containers(pod):
        cw = f"{w}: {path} container {c.get('name')}"
        refs = [((e.get("valueFrom") or {}).get("secretKeyRef"), e.get("name"))
                for e in c.get("env") or []]
        refs += [(dict(e["secretRef"], key=None), "envFrom")
                 for e in c.get("envFrom") or [] if e.get("secretRef")]
        for ref, what in refs:
            if not ref or ref.get("optional"):
                continue
            key = (ns, ref.get("name"))
            if key in EXTERNAL_SECRETS:
                continue
            if key not in secrets:
                problems.append(f"{cw}: {what}: no Secret {ns}/"
                                f"{ref.get('name')} in the manifests")
            elif ref.get("key") and ref["key"] not in secrets[key]:
                problems.append(f"{cw}: {what}: Secret {ns}/{ref.get('name')}"
                                f" has no key {ref['key']}")
    return problems


def _selectors(docs):
    problems = []
    pods = []  # (namespace, labels, container ports by name)
    for d in docs:
        if d.kind != "Deployment":
            continue
        spec = d.obj.get("spec") or {}
        labels = ((spec.get("template") or {}).get("metadata") or {}).get(
            "labels") or {}
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        if not selector or any(labels.get(k) != v for k, v in
                               selector.items()):
            problems.append(f"{d.where()}: spec.selector does not match the "
                            "template's labels")
        ports = {p.get("name"): p.get("containerPort") for c in
                 manifests.containers((spec.get("template") or {}).get(
                     "spec") or {}) for p in c.get("ports") or []}
        pods.append((d.namespace, labels, ports))
    for d in docs:
        if d.kind != "Service":
            continue
        spec = d.obj.get("spec") or {}
        sel = spec.get("selector") or {}
        match = [p for p in pods if p[0] == d.namespace and all(
            p[1].get(k) == v for k, v in sel.items())]
        if not match:
            problems.append(f"{d.where()}: selects no pod of these manifests")
            continue
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, str) and not any(target in m[2] for m in
                                                   match):
                problems.append(f"{d.where()}: targetPort {target} is no "
                                "container port of the selected pods")
    return problems
