// SPDX-License-Identifier: Apache-2.0
//
// ParseManifests: the yaml-cpp edge. Splits the text into documents, dispatches
// on kind, and turns every yaml-cpp exception into a Diagnostic.
#include <exception>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "spec/check_limits.h"
#include "spec/known_keys.h"
#include "spec/limits.h"
#include "spec/manifests.h"
#include "spec/parse_util.h"
#include "spec/parsers.h"
#include "spec/scrub.h"
#include "yaml-cpp/binary.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/yaml.h"

namespace ebb::spec {
namespace internal {
namespace {

constexpr char kKedaApiVersion[] = "keda.sh/v1alpha1";

// Checks that `apiVersion` is `want`; reports an error naming both.
bool CheckApiVersion(ParseContext* ctx, const YAML::Node& doc,
                     const std::string& kind, const std::string& want) {
  const std::string got = doc["apiVersion"].Scalar();
  if (got == want) return true;
  ctx->Error(ctx->Loc(doc["apiVersion"]),
             absl::StrCat("apiVersion: \"", got, "\" is not supported for ",
                          kind, " (expected \"", want, "\")"));
  return false;
}

void ParseDocument(ParseContext* ctx, const YAML::Node& doc) {
  if (!doc.IsMap()) {
    ctx->Error(ctx->Loc(doc), "a manifest document must be a map");
    return;
  }
  std::string api_version, kind;
  ctx->ReadString(doc["apiVersion"], "apiVersion", &api_version);
  ctx->ReadString(doc["kind"], "kind", &kind);
  if (api_version.empty() || kind.empty()) {
    ctx->Error(ctx->Loc(doc),
               absl::StrCat("document has no ",
                            api_version.empty() ? "apiVersion" : "kind",
                            "; every manifest needs apiVersion and kind"));
    return;
  }
  Manifests& m = ctx->out()->manifests;
  if (kind == "Secret") {
    if (!CheckApiVersion(ctx, doc, kind, "v1")) return;
    ctx->CheckKeys(doc, "", SecretKeys());
    Secret secret;
    ParseSecret(ctx, doc, &secret);
    m.secrets.push_back(std::move(secret));
  } else if (kind == "TriggerAuthentication" ||
             kind == "ClusterTriggerAuthentication") {
    if (!CheckApiVersion(ctx, doc, kind, kKedaApiVersion)) return;
    ctx->CheckKeys(doc, "", ObjectKeys());
    TriggerAuthentication ta;
    ParseTriggerAuthentication(ctx, doc, kind, &ta);
    m.trigger_authentications.push_back(std::move(ta));
  } else if (kind == "ScaledJob") {
    if (!CheckApiVersion(ctx, doc, kind, kKedaApiVersion)) return;
    ctx->CheckKeys(doc, "", ObjectKeys());
    ScaledJob job;
    ParseScaledJob(ctx, doc, &job);
    m.scaled_jobs.push_back(std::move(job));
  } else {
    // A near miss of a kind ebb reads is almost surely a typo: say so.
    std::optional<std::string> near =
        NearestMatch(kind, {"ScaledJob", "TriggerAuthentication",
                            "ClusterTriggerAuthentication", "Secret"});
    ctx->Warning(
        ctx->Loc(doc["kind"]),
        absl::StrCat(
            "kind \"", kind, "\" (", api_version,
            ") is not used by ebb; document skipped (ebb "
            "reads ScaledJob, TriggerAuthentication, "
            "ClusterTriggerAuthentication and Secret)",
            near ? absl::StrCat("; did you mean \"", *near, "\"?") : ""));
  }
}

// The document's `kind`, "" when it has none (never throws).
std::string KindOf(const YAML::Node& doc) {
  if (!doc.IsMap()) return "";
  const YAML::Node kind = doc["kind"];
  return kind.IsDefined() && kind.IsScalar() ? kind.Scalar() : "";
}

// The text span of docs[i]: from its start to the next document's (or the
// end of the text).
int64_t DocumentBytes(const std::vector<YAML::Node>& docs, size_t i,
                      size_t text_size) {
  const int start = docs[i].Mark().pos;
  if (start < 0) return 0;
  for (size_t k = i + 1; k < docs.size(); ++k) {
    const int next = docs[k].Mark().pos;
    if (next >= start) return next - start;
  }
  return static_cast<int64_t>(text_size) - start;
}

}  // namespace

ObjectMeta ParseObjectMeta(ParseContext* ctx, const YAML::Node& doc,
                           const std::string& kind) {
  ObjectMeta meta;
  const YAML::Node node = doc["metadata"];
  if (!Present(node)) {
    ctx->Error(ctx->Loc(doc),
               absl::StrCat(kind, ": metadata.name is required"));
    return meta;
  }
  if (!ctx->ExpectMap(node, "metadata")) return meta;
  ctx->CheckKeys(node, "metadata", ObjectMetaKeys());
  ctx->ReadString(node["name"], "metadata.name", &meta.name);
  if (meta.name.empty()) {
    ctx->Error(ctx->Loc(node),
               absl::StrCat(kind, ": metadata.name is required"));
  }
  if (Present(node["namespace"])) {
    std::string ns;
    ctx->ReadString(node["namespace"], "metadata.namespace", &ns);
    if (!ns.empty()) meta.namespace_ = ns;
  }
  ctx->ReadStringMap(node["labels"], "metadata.labels", &meta.labels);
  ctx->ReadStringMap(node["annotations"], "metadata.annotations",
                     &meta.annotations);
  ctx->ReadOptInt64(node["generation"], "metadata.generation",
                    &meta.generation);
  ctx->ReadString(node["uid"], "metadata.uid", &meta.uid);
  return meta;
}

void ParseSecret(ParseContext* ctx, const YAML::Node& doc, Secret* secret) {
  secret->location = ctx->Loc(doc);
  ObjectMeta meta = ParseObjectMeta(ctx, doc, "Secret");
  secret->name = meta.name;
  if (meta.namespace_) secret->namespace_ = *meta.namespace_;
  // Messages below name keys only, never values.
  const YAML::Node data = doc["data"];
  if (Present(data) && ctx->ExpectMap(data, "data")) {
    for (const auto& kv : data) {
      const std::string key = kv.first.Scalar();
      std::string encoded;
      ctx->ReadString(kv.second, Join("data", key), &encoded);
      std::vector<unsigned char> decoded = YAML::DecodeBase64(encoded);
      if (decoded.empty() && !encoded.empty()) {
        ctx->Error(ctx->Loc(kv.second),
                   absl::StrCat("data.", key,
                                ": value is not valid base64 (use stringData "
                                "for plain text)"));
        continue;
      }
      secret->data[key] = std::string(decoded.begin(), decoded.end());
    }
  }
  const YAML::Node string_data = doc["stringData"];
  if (Present(string_data) && ctx->ExpectMap(string_data, "stringData")) {
    for (const auto& kv : string_data) {
      std::string value;
      ctx->ReadString(kv.second, Join("stringData", kv.first.Scalar()), &value);
      secret->data[kv.first.Scalar()] = value;
    }
  }
  // Kubernetes' MaxSecretSize. The text is within kMaxObjectBytes (checked
  // before parsing), but YAML aliases can repeat a value.
  int64_t total = 0;
  const std::string* largest = nullptr;
  for (const auto& [key, value] : secret->data) {
    total += static_cast<int64_t>(value.size());
    if (largest == nullptr || value.size() > secret->data[*largest].size()) {
      largest = &key;
    }
  }
  if (total > kMaxSecretDataBytes) {
    ctx->Error(
        ctx->Loc(Present(data) ? data : string_data),
        absl::StrCat("Secret \"", secret->name, "\": data totals ", total,
                     " bytes (largest key \"", *largest,
                     "\": ", secret->data[*largest].size(),
                     " bytes); a Secret's data is limited to ",
                     DescribeBytes(kMaxSecretDataBytes), " in Kubernetes"));
    secret->data.clear();
  }
}

void ParseTriggerAuthentication(ParseContext* ctx, const YAML::Node& doc,
                                const std::string& kind,
                                TriggerAuthentication* ta) {
  ta->location = ctx->Loc(doc);
  ta->kind = kind;
  ObjectMeta meta = ParseObjectMeta(ctx, doc, kind);
  ta->name = meta.name;
  if (meta.namespace_) {
    ta->namespace_ = *meta.namespace_;
  } else if (kind == "ClusterTriggerAuthentication") {
    // KEDA reads a ClusterTriggerAuthentication's Secrets from its own
    // namespace, "keda" by default.
    ta->namespace_ = "keda";
  }
  const YAML::Node spec = doc["spec"];
  if (!Present(spec)) {
    ctx->Error(ctx->Loc(doc), absl::StrCat(kind, ": spec is required"));
    return;
  }
  if (!ctx->ExpectMap(spec, "spec")) return;
  ctx->CheckKeys(spec, "spec", TriggerAuthSpecKeys(),
                 TriggerAuthUnsupportedKeys());
  for (const std::string& key : TriggerAuthUnsupportedKeys()) {
    if (!spec[key].IsDefined()) continue;
    ctx->Error(ctx->KeyLoc(spec, key),
               absl::StrCat("spec.", key,
                            ": not supported yet (ebb supports "
                            "secretTargetRef and env)"));
  }
  const YAML::Node refs = spec["secretTargetRef"];
  if (Present(refs) && ctx->ExpectSeq(refs, "spec.secretTargetRef")) {
    for (size_t i = 0; i < refs.size(); ++i) {
      const std::string path = Index("spec.secretTargetRef", i);
      if (!ctx->ExpectMap(refs[i], path)) continue;
      ctx->CheckKeys(refs[i], path, SecretTargetRefKeys());
      SecretTargetRef ref;
      ref.location = ctx->Loc(refs[i]);
      ctx->ReadString(refs[i]["parameter"], path + ".parameter",
                      &ref.parameter);
      ctx->ReadString(refs[i]["name"], path + ".name", &ref.name);
      ctx->ReadString(refs[i]["key"], path + ".key", &ref.key);
      for (const auto& [field, value] :
           {std::pair<const char*, const std::string*>{"parameter",
                                                       &ref.parameter},
            {"name", &ref.name},
            {"key", &ref.key}}) {
        if (value->empty()) {
          ctx->Error(ref.location, absl::StrCat(path, ".", field,
                                                ": required field is missing"));
        }
      }
      ta->secret_target_ref.push_back(std::move(ref));
    }
  }
  const YAML::Node env = spec["env"];
  if (Present(env) && ctx->ExpectSeq(env, "spec.env")) {
    for (size_t i = 0; i < env.size(); ++i) {
      const std::string path = Index("spec.env", i);
      if (!ctx->ExpectMap(env[i], path)) continue;
      ctx->CheckKeys(env[i], path, AuthEnvKeys());
      AuthEnvRef ref;
      ref.location = ctx->Loc(env[i]);
      ctx->ReadString(env[i]["parameter"], path + ".parameter", &ref.parameter);
      ctx->ReadString(env[i]["name"], path + ".name", &ref.name);
      ctx->ReadString(env[i]["containerName"], path + ".containerName",
                      &ref.container_name);
      if (ref.parameter.empty() || ref.name.empty()) {
        ctx->Error(ref.location,
                   absl::StrCat(path, ": parameter and name are required"));
      }
      ta->env.push_back(std::move(ref));
    }
  }
}

}  // namespace internal

void ParseManifests(const std::string& yaml_text, const std::string& file,
                    LoadResult* out) {
  const size_t first_diagnostic = out->diagnostics.size();
  internal::ParseContext ctx(file, out);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml_text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp says "bad file" here; say what is wrong.
    ctx.Error(
        ctx.Loc(e.mark),
        absl::StrCat("YAML is nested too deeply (more than ", kMaxYamlDepth,
                     " levels of maps and lists); manifests nest a few "
                     "dozen levels at most"));
    return;
  } catch (const YAML::Exception& e) {
    ctx.Error(ctx.Loc(e.mark), absl::StrCat("YAML syntax error: ", e.msg));
    return;
  } catch (const std::exception& e) {
    ctx.Error(ctx.Loc(YAML::Mark::null_mark()),
              absl::StrCat("cannot parse YAML: ", e.what()));
    return;
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    const YAML::Node& doc = docs[i];
    if (!internal::Present(doc)) continue;  // empty document ("---" alone)
    try {
      const int64_t bytes = internal::DocumentBytes(docs, i, yaml_text.size());
      if (std::string problem =
              internal::ObjectSizeProblem(bytes, internal::KindOf(doc));
          !problem.empty()) {
        ctx.Error(ctx.Loc(doc), problem);
        continue;
      }
      internal::ParseDocument(&ctx, doc);
    } catch (const YAML::Exception& e) {
      ctx.Error(ctx.Loc(e.mark.is_null() ? doc.Mark() : e.mark),
                absl::StrCat("malformed manifest: ", e.msg));
    } catch (const std::exception& e) {
      ctx.Error(ctx.Loc(doc), absl::StrCat("malformed manifest: ", e.what()));
    }
  }
  internal::ScrubSecretValues(out, first_diagnostic);
}

}  // namespace ebb::spec
