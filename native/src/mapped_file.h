// Read-only memory maps of model files, one per file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace vmlx {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws EngineError naming the file
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Drops the whole pages inside [offset, offset + length) from this process's resident set (the page cache keeps
  // them; a later read faults them back in). For bytes that were copied out and will not be read again.
  void release(uint64_t offset, uint64_t length) const;

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Opens each path once.
class FileSet {
 public:
  const MappedFile& get(const std::string& path);
  // MappedFile::release of a file opened here (nothing for one that is not).
  void release(const std::string& path, uint64_t offset, uint64_t length) const;

 private:
  std::map<std::string, std::unique_ptr<MappedFile>> files_;
};

}  // namespace vmlx
