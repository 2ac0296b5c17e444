// Engine errors: their message reaches JavaScript as the message of an Error.
#pragma once
#include <stdexcept>
#include <string>

namespace vmlx {

class EngineError : public std::runtime_error {
 public:
  explicit EngineError(const std::string& msg) : std::runtime_error(msg) {}
};

}  // namespace vmlx
