// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/testing/job_validation.h
//
// The part of the API server's batch/v1 Job validation and defaulting the
// double applies to creates: the rules a Job from ebb can break.
#ifndef EBB_EXECUTORS_KUBERNETES_TESTING_JOB_VALIDATION_H_
#define EBB_EXECUTORS_KUBERNETES_TESTING_JOB_VALIDATION_H_

#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes::testing {

// The field causes of a 422, as StatusDetails.causes: [{reason, message,
// field}], empty when the Job is valid. Checks name or generateName, the
// template's containers (each with name and image) and restartPolicy
// (required for a Job: OnFailure or Never).
nlohmann::json ValidateJob(const nlohmann::json& job);

// What the API server adds to a new Job (1.27+): spec.selector on the uid
// and the template labels controller-uid, job-name and their
// batch.kubernetes.io/ forms. The object must have its name and uid.
void DefaultJob(nlohmann::json& job);

}  // namespace ebb::executors::kubernetes::testing

#endif  // EBB_EXECUTORS_KUBERNETES_TESTING_JOB_VALIDATION_H_
