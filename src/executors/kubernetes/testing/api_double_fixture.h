// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/testing/api_double_fixture.h
//
// A gtest fixture base: an API server double (no token, plain HTTP) started
// on a free loopback port for each test, and a KubeClient configured for it.
// Fixtures that derive from it and have a SetUp of their own call
// ApiDoubleTest::SetUp() first and return on HasFatalFailure().
#ifndef EBB_EXECUTORS_KUBERNETES_TESTING_API_DOUBLE_FIXTURE_H_
#define EBB_EXECUTORS_KUBERNETES_TESTING_API_DOUBLE_FIXTURE_H_

#include <memory>

#include "executors/kubernetes/client/kube_client.h"
#include "executors/kubernetes/testing/fake_api_server.h"
#include "gtest/gtest.h"

namespace ebb::executors::kubernetes::testing {

class ApiDoubleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    KubeConfig config;
    config.server = server_.url();
    client_ = std::make_unique<KubeClient>(config);
  }

  FakeApiServer server_;
  std::unique_ptr<KubeClient> client_;
};

}  // namespace ebb::executors::kubernetes::testing

#endif  // EBB_EXECUTORS_KUBERNETES_TESTING_API_DOUBLE_FIXTURE_H_
