// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/client/kube_config.h
//
// Where the Kubernetes API server is and how to authenticate to it, from the
// two sources client-go reads:
//   * in-cluster: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT and the
//     service-account files token, ca.crt and namespace under
//     /var/run/secrets/kubernetes.io/serviceaccount;
//   * a kubeconfig file: the current context or a named one; the cluster's
//     server, certificate-authority(-data), insecure-skip-tls-verify and
//     tls-server-name; the user's token, tokenFile, client-certificate(-data)
//     + client-key(-data), or username + password. Relative file paths are
//     resolved against the kubeconfig's directory; `*-data` values are
//     base64-decoded here.
// Not supported yet, and refused with Unimplemented naming the user and what
// to use instead: `exec` credential plugins (aws eks get-token,
// gke-gcloud-auth-plugin, kubelogin, ...) and legacy `auth-provider`s.
//
// Values are plain data; the token and keys are secrets: never log them.
#ifndef EBB_EXECUTORS_KUBERNETES_CLIENT_KUBE_CONFIG_H_
#define EBB_EXECUTORS_KUBERNETES_CLIENT_KUBE_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"

namespace ebb::executors::kubernetes {

inline constexpr char kServiceAccountDir[] =
    "/var/run/secrets/kubernetes.io/serviceaccount";

struct KubeConfig {
  std::string server;                  // "https://10.0.0.1:443"
  std::string namespace_ = "default";  // the context's or the pod's
  // TLS: a CA bundle as a file or PEM text; none = the system's CAs.
  std::string ca_file;
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // SNI / name to verify; "" = from server
  // Credentials: a bearer token (text, or a file re-read on every request as
  // projected service-account tokens rotate), a client certificate and key
  // (files or PEM text), or basic auth.
  std::string token;
  std::string token_file;
  std::string client_cert_file;
  std::string client_cert_pem;
  std::string client_key_file;
  std::string client_key_pem;
  std::string username;
  std::string password;
  // For messages: "in-cluster service account" or
  // "kubeconfig /path (context NAME)".
  std::string source;
};

// The in-cluster configuration. `sa_dir` holds token, ca.crt and namespace.
// FailedPrecondition when KUBERNETES_SERVICE_HOST/PORT are unset (not in a
// pod), NotFound naming a missing token file.
absl::StatusOr<KubeConfig> LoadInClusterConfig(
    const std::string& sa_dir = kServiceAccountDir);

// Parses kubeconfig text. `dir` resolves relative paths; `context` "" = the
// current-context. InvalidArgument for bad YAML or a missing field, NotFound
// for an unknown context / cluster / user (naming the known ones),
// Unimplemented for exec plugins and auth-providers.
absl::StatusOr<KubeConfig> ParseKubeconfig(const std::string& yaml_text,
                                           const std::string& dir,
                                           const std::string& context,
                                           const std::string& source);
// Reads and parses one kubeconfig file.
absl::StatusOr<KubeConfig> LoadKubeconfig(const std::string& path,
                                          const std::string& context = "");

// What ebb uses when told nothing more: `kubeconfig` when given, else the
// first file of $KUBECONFIG, else in-cluster when KUBERNETES_SERVICE_HOST is
// set, else ~/.kube/config.
absl::StatusOr<KubeConfig> LoadDefaultConfig(const std::string& kubeconfig,
                                             const std::string& context);

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_CLIENT_KUBE_CONFIG_H_
