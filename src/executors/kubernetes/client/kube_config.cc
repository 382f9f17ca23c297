// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/client/kube_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/status.h"

namespace ebb::executors::kubernetes {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string Resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || dir.empty()) return path;
  return absl::StrCat(dir, "/", path);
}

std::string Scalar(const YAML::Node& n, const char* key) {
  const YAML::Node v = n[key];
  return v && v.IsScalar() ? v.as<std::string>() : "";
}

// The map under `entry[inner]` of the list item named `name` in `list`.
absl::StatusOr<YAML::Node> Named(const YAML::Node& root, const char* list,
                                 const char* inner, const std::string& name,
                                 const std::string& source) {
  std::vector<std::string> known;
  const YAML::Node items = root[list];
  if (items && items.IsSequence()) {
    for (const YAML::Node& item : items) {
      const std::string n = Scalar(item, "name");
      if (n == name) {
        const YAML::Node v = item[inner];
        return v ? v : YAML::Node(YAML::NodeType::Map);
      }
      known.push_back(n);
    }
  }
  return absl::NotFoundError(absl::StrCat(
      source, ": no ", inner, " named \"", name, "\" in `", list,
      "` (known: ", known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
}

absl::StatusOr<std::string> Decode(const std::string& b64, const char* field,
                                   const std::string& source) {
  std::string out;
  std::string compact;
  for (char c : b64) {
    if (!absl::ascii_isspace(c)) compact += c;
  }
  if (!absl::Base64Unescape(compact, &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", field, " is not valid base64"));
  }
  return out;
}

absl::Status ReadUser(const YAML::Node& user, const std::string& user_name,
                      const std::string& dir, KubeConfig* c) {
  const std::string& src = c->source;
  if (user["exec"]) {
    const std::string cmd = Scalar(user["exec"], "command");
    return absl::UnimplementedError(absl::StrCat(
        src, ": user \"", user_name, "\" gets its credentials from an exec ",
        "plugin (", cmd.empty() ? "?" : cmd,
        "), which ebb does not support yet; use a kubeconfig with a token ",
        "(e.g. from `kubectl create token SERVICEACCOUNT`) or a client ",
        "certificate, or run ebb in the cluster with a service account"));
  }
  if (user["auth-provider"]) {
    return absl::UnimplementedError(absl::StrCat(
        src, ": user \"", user_name, "\" uses an auth-provider (",
        Scalar(user["auth-provider"], "name"),
        "), which ebb does not support; use a token or a client certificate"));
  }
  c->token = Scalar(user, "token");
  c->token_file = Resolve(dir, Scalar(user, "tokenFile"));
  c->client_cert_file = Resolve(dir, Scalar(user, "client-certificate"));
  c->client_key_file = Resolve(dir, Scalar(user, "client-key"));
  if (std::string d = Scalar(user, "client-certificate-data"); !d.empty()) {
    EBB_ASSIGN_OR_RETURN(c->client_cert_pem,
                         Decode(d, "client-certificate-data", src));
  }
  if (std::string d = Scalar(user, "client-key-data"); !d.empty()) {
    EBB_ASSIGN_OR_RETURN(c->client_key_pem, Decode(d, "client-key-data", src));
  }
  c->username = Scalar(user, "username");
  c->password = Scalar(user, "password");
  const bool has_cert =
      !c->client_cert_file.empty() || !c->client_cert_pem.empty();
  const bool has_key =
      !c->client_key_file.empty() || !c->client_key_pem.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(absl::StrCat(
        src, ": user \"", user_name, "\" has a client ",
        has_cert ? "certificate without its key (client-key or client-key-data)"
                 : "key without its certificate (client-certificate or "
                   "client-certificate-data)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KubeConfig> LoadInClusterConfig(const std::string& sa_dir) {
  const std::string host = Env("KUBERNETES_SERVICE_HOST");
  const std::string port = Env("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return absl::FailedPreconditionError(
        "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT are not set (give a kubeconfig instead)");
  }
  KubeConfig c;
  c.source = "in-cluster service account";
  const bool ipv6 = host.find(':') != std::string::npos;
  c.server = absl::StrCat("https://", ipv6 ? "[" : "", host, ipv6 ? "]" : "",
                          ":", port);
  c.token_file = absl::StrCat(sa_dir, "/token");
  if (!ReadFile(c.token_file).ok()) {
    return absl::NotFoundError(absl::StrCat(
        "in-cluster config: cannot read the service-account token ",
        c.token_file, " (is automountServiceAccountToken false?)"));
  }
  c.ca_file = absl::StrCat(sa_dir, "/ca.crt");
  auto ns = ReadFile(absl::StrCat(sa_dir, "/namespace"));
  if (ns.ok() && !absl::StripAsciiWhitespace(*ns).empty()) {
    c.namespace_ = std::string(absl::StripAsciiWhitespace(*ns));
  }
  return c;
}

absl::StatusOr<KubeConfig> ParseKubeconfig(const std::string& yaml_text,
                                           const std::string& dir,
                                           const std::string& context,
                                           const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not valid YAML: ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a kubeconfig (expected a mapping)"));
  }
  try {
    std::string ctx_name =
        context.empty() ? Scalar(root, "current-context") : context;
    if (ctx_name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": no current-context; pick one with --context"));
    }
    KubeConfig c;
    c.source = absl::StrCat("kubeconfig ", source, " (context ", ctx_name, ")");
    EBB_ASSIGN_OR_RETURN(YAML::Node ctx,
                         Named(root, "contexts", "context", ctx_name, source));
    const std::string cluster_name = Scalar(ctx, "cluster");
    const std::string user_name = Scalar(ctx, "user");
    if (std::string ns = Scalar(ctx, "namespace"); !ns.empty()) {
      c.namespace_ = ns;
    }
    EBB_ASSIGN_OR_RETURN(YAML::Node cluster, Named(root, "clusters", "cluster",
                                                   cluster_name, source));
    c.server = Scalar(cluster, "server");
    if (c.server.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          c.source, ": cluster \"", cluster_name, "\" has no server"));
    }
    c.ca_file = Resolve(dir, Scalar(cluster, "certificate-authority"));
    if (std::string d = Scalar(cluster, "certificate-authority-data");
        !d.empty()) {
      EBB_ASSIGN_OR_RETURN(c.ca_pem,
                           Decode(d, "certificate-authority-data", c.source));
    }
    c.insecure_skip_tls_verify =
        Scalar(cluster, "insecure-skip-tls-verify") == "true";
    c.tls_server_name = Scalar(cluster, "tls-server-name");
    if (!user_name.empty()) {
      EBB_ASSIGN_OR_RETURN(YAML::Node user,
                           Named(root, "users", "user", user_name, source));
      EBB_RETURN_IF_ERROR(ReadUser(user, user_name, dir, &c));
    }
    return c;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": malformed kubeconfig: ", e.what()));
  }
}

absl::StatusOr<KubeConfig> LoadKubeconfig(const std::string& path,
                                          const std::string& context) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat("cannot read kubeconfig ", path, ": ",
                     std::string(text.status().message())));
  }
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash);
  return ParseKubeconfig(*text, dir, context, path);
}

absl::StatusOr<KubeConfig> LoadDefaultConfig(const std::string& kubeconfig,
                                             const std::string& context) {
  if (!kubeconfig.empty()) return LoadKubeconfig(kubeconfig, context);
  const std::string env = Env("KUBECONFIG");
  if (!env.empty()) {
    for (absl::string_view p : absl::StrSplit(env, ':', absl::SkipEmpty())) {
      return LoadKubeconfig(std::string(p), context);
    }
  }
  if (!Env("KUBERNETES_SERVICE_HOST").empty() && context.empty()) {
    return LoadInClusterConfig();
  }
  const std::string home = Env("HOME");
  return LoadKubeconfig(absl::StrCat(home.empty() ? "" : home, "/.kube/config"),
                        context);
}

}  // namespace ebb::executors::kubernetes
