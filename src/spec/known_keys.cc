// SPDX-License-Identifier: Apache-2.0
#include "spec/known_keys.h"

namespace ebb::spec::internal {

// Each list is built once and never destroyed (no static destruction order
// issues).
#define EBB_KEY_LIST(fn, ...)                              \
  const KeyList& fn() {                                    \
    static const KeyList* list = new KeyList{__VA_ARGS__}; \
    return *list;                                          \
  }

EBB_KEY_LIST(ObjectKeys, "apiVersion", "kind", "metadata", "spec", "status")
EBB_KEY_LIST(ObjectMetaKeys, "name", "namespace", "labels", "annotations",
             "generation", "generateName", "uid", "resourceVersion",
             "creationTimestamp", "deletionTimestamp",
             "deletionGracePeriodSeconds", "finalizers", "ownerReferences",
             "managedFields", "selfLink")
EBB_KEY_LIST(SecretKeys, "apiVersion", "kind", "metadata", "data", "stringData",
             "type", "immutable")
EBB_KEY_LIST(ScaledJobSpecKeys, "jobTargetRef", "pollingInterval",
             "successfulJobsHistoryLimit", "failedJobsHistoryLimit",
             "minReplicaCount", "maxReplicaCount", "rolloutStrategy", "rollout",
             "envSourceContainerName", "scalingStrategy", "triggers")
EBB_KEY_LIST(ScalingStrategyKeys, "strategy",
             "customScalingQueueLengthDeduction",
             "customScalingRunningJobPercentage", "pendingPodConditions",
             "multipleScalersCalculation")
EBB_KEY_LIST(RolloutKeys, "strategy", "propagationPolicy")
EBB_KEY_LIST(TriggerKeys, "type", "name", "metadata", "authenticationRef",
             "metricType", "useCachedMetrics")
EBB_KEY_LIST(AuthenticationRefKeys, "name", "kind")
EBB_KEY_LIST(TriggerAuthSpecKeys, "secretTargetRef", "env")
EBB_KEY_LIST(TriggerAuthUnsupportedKeys, "podIdentity", "filePath",
             "configMapTargetRef", "hashiCorpVault", "azureKeyVault",
             "gcpSecretManager", "awsSecretManager", "boundServiceAccountToken",
             "oauth2")
EBB_KEY_LIST(SecretTargetRefKeys, "parameter", "name", "key")
EBB_KEY_LIST(AuthEnvKeys, "parameter", "name", "containerName")

EBB_KEY_LIST(JobSpecKeys, "template", "backoffLimit", "activeDeadlineSeconds",
             "parallelism", "completions", "ttlSecondsAfterFinished")
EBB_KEY_LIST(JobSpecTolerated, "podFailurePolicy", "suspend", "selector",
             "manualSelector", "completionMode", "backoffLimitPerIndex",
             "maxFailedIndexes", "podReplacementPolicy", "successPolicy",
             "managedBy")
EBB_KEY_LIST(PodTemplateKeys, "metadata", "spec")
EBB_KEY_LIST(PodSpecKeys, "containers", "volumes", "restartPolicy",
             "terminationGracePeriodSeconds")
EBB_KEY_LIST(PodSpecTolerated, "initContainers", "ephemeralContainers",
             "activeDeadlineSeconds", "dnsPolicy", "nodeSelector",
             "serviceAccountName", "serviceAccount",
             "automountServiceAccountToken", "nodeName", "hostNetwork",
             "hostPID", "hostIPC", "shareProcessNamespace", "securityContext",
             "imagePullSecrets", "hostname", "subdomain", "affinity",
             "schedulerName", "tolerations", "hostAliases", "priorityClassName",
             "priority", "dnsConfig", "readinessGates", "runtimeClassName",
             "enableServiceLinks", "preemptionPolicy", "overhead",
             "topologySpreadConstraints", "setHostnameAsFQDN", "os",
             "hostUsers", "schedulingGates", "resourceClaims", "resources")
EBB_KEY_LIST(ContainerKeys, "name", "image", "command", "args", "workingDir",
             "env", "volumeMounts", "readinessProbe")
EBB_KEY_LIST(ContainerTolerated, "ports", "envFrom", "resources",
             "resizePolicy", "restartPolicy", "volumeDevices", "livenessProbe",
             "startupProbe", "lifecycle", "terminationMessagePath",
             "terminationMessagePolicy", "imagePullPolicy", "securityContext",
             "stdin", "stdinOnce", "tty")
EBB_KEY_LIST(EnvVarKeys, "name", "value", "valueFrom")
EBB_KEY_LIST(EnvVarSourceKeys, "secretKeyRef", "configMapKeyRef", "fieldRef",
             "resourceFieldRef", "fileKeyRef")
EBB_KEY_LIST(SecretKeySelectorKeys, "name", "key", "optional")
EBB_KEY_LIST(VolumeMountKeys, "name", "mountPath", "readOnly")
EBB_KEY_LIST(VolumeMountTolerated, "subPath", "subPathExpr", "mountPropagation",
             "recursiveReadOnly")
EBB_KEY_LIST(ProbeKeys, "exec", "httpGet", "tcpSocket", "grpc",
             "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
             "successThreshold", "failureThreshold",
             "terminationGracePeriodSeconds")
EBB_KEY_LIST(ExecActionKeys, "command")
EBB_KEY_LIST(VolumeSourceKeys, "emptyDir", "hostPath", "secret", "configMap",
             "persistentVolumeClaim", "projected", "downwardAPI", "nfs", "csi",
             "ephemeral", "image", "awsElasticBlockStore", "azureDisk",
             "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker",
             "gcePersistentDisk", "gitRepo", "glusterfs", "iscsi",
             "photonPersistentDisk", "portworxVolume", "quobyte", "rbd",
             "scaleIO", "storageos", "vsphereVolume")
EBB_KEY_LIST(EmptyDirKeys, "medium", "sizeLimit")

#undef EBB_KEY_LIST

}  // namespace ebb::spec::internal
