// SPDX-License-Identifier: Apache-2.0
#include "scalers/scaler.h"

namespace ebb::scalers {

void ScalerRegistry::Register(std::unique_ptr<ScalerFactory> factory) {
  if (factory == nullptr) return;
  std::string type = factory->Type();
  factories_[type] = std::move(factory);
}

const ScalerFactory* ScalerRegistry::Find(const std::string& type) const {
  auto it = factories_.find(type);
  return it == factories_.end() ? nullptr : it->second.get();
}

std::vector<std::string> ScalerRegistry::Types() const {
  std::vector<std::string> types;
  types.reserve(factories_.size());
  for (const auto& [type, factory] : factories_) types.push_back(type);
  return types;
}

}  // namespace ebb::scalers
