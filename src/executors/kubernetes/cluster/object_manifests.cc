// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/cluster/object_manifests.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace ebb::executors::kubernetes::cluster {
namespace {

using Json = nlohmann::json;
using spec::Diagnostic;
using spec::LoadResult;

constexpr char kKedaApiVersion[] = "keda.sh/v1alpha1";
constexpr char kClusterAuthKind[] = "ClusterTriggerAuthentication";

std::string Meta(const Json& o, const char* key) {
  if (!o.is_object() || !o.contains("metadata") || !o["metadata"].is_object())
    return "";
  const Json& v = o["metadata"].value(key, Json());
  return v.is_string() ? v.get<std::string>() : "";
}

std::string Key(const std::string& ns, const std::string& name) {
  return absl::StrCat(ns, "/", name);
}

// Objects by "ns/name" (cluster-scoped ones by name).
std::map<std::string, const Json*> Index(const std::vector<Json>& objects,
                                         bool namespaced) {
  std::map<std::string, const Json*> out;
  for (const Json& o : objects) {
    out[namespaced ? Key(Meta(o, "namespace"), Meta(o, "name"))
                   : Meta(o, "name")] = &o;
  }
  return out;
}

// The object as the text spec parses; `ns_override` (cluster-scoped objects)
// becomes its metadata.namespace.
std::string ObjectText(const Json& object, const std::string& kind,
                       const std::string& ns_override = "") {
  Json stripped = StripServerFields(object);
  // List items of built-in types come without apiVersion and kind.
  stripped["apiVersion"] = kind == "Secret" ? "v1" : kKedaApiVersion;
  stripped["kind"] = kind;
  if (!ns_override.empty()) stripped["metadata"]["namespace"] = ns_override;
  return stripped.dump(2);
}

ScaledJobIdentity IdentityOf(const Json& sj) {
  ScaledJobIdentity id;
  id.namespace_ = Meta(sj, "namespace");
  id.name = Meta(sj, "name");
  id.uid = Meta(sj, "uid");
  id.resource_version = Meta(sj, "resourceVersion");
  id.creation_timestamp = Meta(sj, "creationTimestamp");
  const Json& meta = sj.value("metadata", Json::object());
  if (meta.contains("generation") && meta["generation"].is_number_integer()) {
    id.generation = meta["generation"].get<int64_t>();
  }
  spec::ScaledJob probe;  // spec's paused rule, on the raw annotation
  if (meta.contains("annotations") && meta["annotations"].is_object()) {
    for (const auto& [k, v] : meta["annotations"].items()) {
      if (v.is_string()) probe.annotations[k] = v.get<std::string>();
    }
  }
  id.paused = probe.Paused();
  if (sj.contains("status") && sj["status"].is_object() &&
      sj["status"].contains("conditions")) {
    id.conditions = sj["status"]["conditions"];
  }
  return id;
}

std::string Errors(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.severity != Diagnostic::Severity::kError) continue;
    if (!out.empty()) out += "\n";
    out += d.ToString();
  }
  return out;
}

// One ScaledJob with what it references, parsed, normalised and checked.
struct Checked {
  LoadResult result;
  std::string fingerprint_input;
};

Checked CheckScaledJob(const Json& sj,
                       const std::map<std::string, const Json*>& tas,
                       const std::map<std::string, const Json*>& ctas,
                       const std::map<std::string, const Json*>& secrets,
                       const ScaledJobCheck& check,
                       const std::string& cluster_object_namespace) {
  Checked c;
  LoadResult& r = c.result;
  const std::string ns = Meta(sj, "namespace");
  const std::string sj_text = ObjectText(sj, "ScaledJob");
  c.fingerprint_input = sj_text;
  spec::ParseManifests(sj_text,
                       ObjectFileName("ScaledJob", ns, Meta(sj, "name")), &r);
  if (r.manifests.scaled_jobs.size() != 1) return c;
  spec::NormalizeScaledJob(&r.manifests.scaled_jobs[0]);
  const spec::ScaledJob job = r.manifests.scaled_jobs[0];

  std::set<std::string> secret_keys;  // "ns/name"
  for (const spec::Container& ct : job.job_target_ref.template_.containers) {
    for (const spec::EnvVar& e : ct.env) {
      if (e.secret_key_ref) secret_keys.insert(Key(ns, e.secret_key_ref->name));
    }
  }
  std::set<std::string> ta_keys, cta_names;
  for (const spec::ScaleTrigger& t : job.triggers) {
    if (!t.authentication_ref) continue;
    if (t.authentication_ref->kind == kClusterAuthKind) {
      cta_names.insert(t.authentication_ref->name);
    } else {
      ta_keys.insert(Key(ns, t.authentication_ref->name));
    }
  }
  auto add_auth = [&](const Json& o, const std::string& kind,
                      const std::string& file, const std::string& secret_ns,
                      const std::string& ns_override) {
    const std::string text = ObjectText(o, kind, ns_override);
    absl::StrAppend(&c.fingerprint_input, "\n", text);
    const size_t before = r.manifests.trigger_authentications.size();
    spec::ParseManifests(text, file, &r);
    for (size_t i = before; i < r.manifests.trigger_authentications.size();
         ++i) {
      for (const spec::SecretTargetRef& ref :
           r.manifests.trigger_authentications[i].secret_target_ref) {
        secret_keys.insert(Key(secret_ns, ref.name));
      }
    }
  };
  for (const std::string& key : ta_keys) {
    auto it = tas.find(key);
    if (it == tas.end()) continue;  // validation names the missing object
    add_auth(
        *it->second, "TriggerAuthentication",
        ObjectFileName("TriggerAuthentication", ns, Meta(*it->second, "name")),
        ns, "");
  }
  for (const std::string& name : cta_names) {
    auto it = ctas.find(name);
    if (it == ctas.end()) continue;
    add_auth(*it->second, kClusterAuthKind,
             ObjectFileName(kClusterAuthKind, "", name),
             cluster_object_namespace, cluster_object_namespace);
  }
  for (const std::string& key : secret_keys) {
    auto it = secrets.find(key);
    if (it == secrets.end()) continue;
    const std::string text = ObjectText(*it->second, "Secret");
    absl::StrAppend(&c.fingerprint_input, "\n", text);
    spec::ParseManifests(
        text,
        ObjectFileName("Secret", Meta(*it->second, "namespace"),
                       Meta(*it->second, "name")),
        &r);
  }
  spec::ValidateManifests(&r);
  if (check) check(&r);
  return c;
}

}  // namespace

std::string ObjectFileName(const std::string& kind, const std::string& ns,
                           const std::string& name) {
  return ns.empty() ? absl::StrCat("cluster:", kind, "/", name)
                    : absl::StrCat("cluster:", ns, "/", kind, "/", name);
}

Json StripServerFields(const Json& object) {
  Json out = Json::object();
  if (!object.is_object()) return out;
  for (const auto& [k, v] : object.items()) {
    if (k != "status" && k != "metadata") out[k] = v;
  }
  if (object.contains("metadata") && object["metadata"].is_object()) {
    Json meta = Json::object();
    for (const char* key :
         {"name", "namespace", "labels", "annotations", "generation", "uid"}) {
      if (object["metadata"].contains(key)) meta[key] = object["metadata"][key];
    }
    out["metadata"] = std::move(meta);
  }
  return out;
}

ClusterManifests BuildClusterManifests(
    const ClusterObjects& objects, const ScaledJobCheck& check,
    const std::string& cluster_object_namespace) {
  const auto tas = Index(objects.trigger_authentications, true);
  const auto ctas = Index(objects.cluster_trigger_authentications, false);
  const auto secrets = Index(objects.secrets, true);

  // Oldest first, so that of two ScaledJobs with one name the older runs.
  std::vector<const Json*> order;
  for (const Json& sj : objects.scaled_jobs) order.push_back(&sj);
  std::sort(order.begin(), order.end(), [](const Json* a, const Json* b) {
    return std::make_tuple(Meta(*a, "creationTimestamp"), Meta(*a, "namespace"),
                           Meta(*a, "name")) <
           std::make_tuple(Meta(*b, "creationTimestamp"), Meta(*b, "namespace"),
                           Meta(*b, "name"));
  });

  ClusterManifests out;
  std::map<std::string, std::string> owner;  // ScaledJob name -> namespace
  std::set<std::string> added;               // "Kind/ns/name" in manifests
  for (const Json* sj : order) {
    ScaledJobIdentity id = IdentityOf(*sj);
    out.scaled_jobs.push_back(id);
    auto [it, first] = owner.emplace(id.name, id.namespace_);
    if (!first) {
      out.problems.push_back(
          {id, absl::StrCat(ObjectFileName("ScaledJob", id.namespace_, id.name),
                            ": error: the name \"", id.name,
                            "\" is already run from namespace \"", it->second,
                            "\" (ebb keys ScaledJobs by name, so names must be "
                            "unique across the namespaces it watches)")});
      continue;
    }
    Checked c = CheckScaledJob(*sj, tas, ctas, secrets, check,
                               cluster_object_namespace);
    const std::string errors = Errors(c.result);
    if (!errors.empty() || c.result.manifests.scaled_jobs.size() != 1) {
      owner.erase(id.name);  // a valid one elsewhere may run
      out.problems.push_back(
          {id, errors.empty() ? "no ScaledJob parsed" : errors});
      continue;
    }
    spec::Manifests& m = c.result.manifests;
    out.fingerprints[id.name] = StableHash(c.fingerprint_input);
    for (const Diagnostic& d : c.result.diagnostics) {
      out.warnings[id.name].push_back(d);
    }
    out.manifests.scaled_jobs.push_back(m.scaled_jobs[0]);
    for (const spec::TriggerAuthentication& ta : m.trigger_authentications) {
      if (added.insert(absl::StrCat(ta.kind, "/", ta.namespace_, "/", ta.name))
              .second) {
        out.manifests.trigger_authentications.push_back(ta);
      }
    }
    for (const spec::Secret& s : m.secrets) {
      if (added.insert(absl::StrCat("Secret/", s.namespace_, "/", s.name))
              .second) {
        out.manifests.secrets.push_back(s);
      }
    }
  }
  auto by_key = [](const auto& a, const auto& b) {
    return std::make_pair(a.namespace_, a.name) <
           std::make_pair(b.namespace_, b.name);
  };
  std::sort(out.scaled_jobs.begin(), out.scaled_jobs.end(), by_key);
  std::sort(out.manifests.scaled_jobs.begin(), out.manifests.scaled_jobs.end(),
            by_key);
  return out;
}

}  // namespace ebb::executors::kubernetes::cluster
