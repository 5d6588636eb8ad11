#include "model/safetensors/hf_weight_store.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "model/json_fields.h"

namespace mms::safetensors {
namespace {

namespace fs = std::filesystem;

// weight_map of model.safetensors.index.json: tensor name -> shard file name.
StatusOr<std::map<std::string, std::string>> read_index(const std::string& path) {
  MMS_ASSIGN_OR_RETURN(std::string text, read_file(path));
  MMS_ASSIGN_OR_RETURN(json_fields::json root, json_fields::parse_object(text, path));
  const json_fields::json* wm = json_fields::find(root, "weight_map");
  if (wm == nullptr || !wm->is_object()) return invalid_argument(path + ": missing object 'weight_map'");
  std::map<std::string, std::string> out;
  for (const auto& [name, shard] : wm->items()) {
    if (!shard.is_string()) return invalid_argument(path + ": weight_map entry '" + name + "' is not a file name");
    std::string file = shard.get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
      return invalid_argument(path + ": weight_map entry '" + name + "' names a file outside the directory: '" +
                              file + "'");
    }
    out.emplace(name, std::move(file));
  }
  return out;
}

}  // namespace

std::string canonical_tensor_name(std::string_view stored) {
  constexpr std::string_view kVlmPrefix = "model.language_model.";
  if (stored.substr(0, kVlmPrefix.size()) == kVlmPrefix) {
    return "model." + std::string(stored.substr(kVlmPrefix.size()));
  }
  return std::string(stored);
}

Status HfWeightStore::add(const SafetensorsFile& file, const TensorEntry& entry) {
  std::string name = canonical_tensor_name(entry.name);
  auto [it, inserted] = index_.emplace(name, Ref{&file, &entry});
  if (!inserted) {
    return invalid_argument(source_ + ": tensor '" + name + "' is in both " + it->second.file->path() + " and " +
                            file.path());
  }
  names_.push_back(std::move(name));
  return ok_status();
}

StatusOr<std::unique_ptr<HfWeightStore>> HfWeightStore::from_files(
    std::string source, std::vector<std::unique_ptr<SafetensorsFile>> files) {
  std::unique_ptr<HfWeightStore> store(new HfWeightStore());
  store->source_ = std::move(source);
  store->files_ = std::move(files);
  for (const auto& f : store->files_)
    for (const TensorEntry& e : f->tensors()) MMS_RETURN_IF_ERROR(store->add(*f, e));
  return store;
}

StatusOr<std::unique_ptr<HfWeightStore>> HfWeightStore::open(const std::string& dir) {
  const fs::path root(dir);
  const fs::path index_path = root / "model.safetensors.index.json";
  std::error_code ec;
  if (fs::exists(index_path, ec)) {
    MMS_ASSIGN_OR_RETURN(auto weight_map, read_index(index_path.string()));
    std::set<std::string> shard_names;
    for (const auto& [name, shard] : weight_map) shard_names.insert(shard);
    std::unique_ptr<HfWeightStore> store(new HfWeightStore());
    store->source_ = dir;
    std::map<std::string, const SafetensorsFile*> shards;
    for (const std::string& shard : shard_names) {
      MMS_ASSIGN_OR_RETURN(auto f, SafetensorsFile::open((root / shard).string()));
      shards[shard] = f.get();
      store->files_.push_back(std::move(f));
    }
    // The index is authoritative: each tensor comes from the shard it names and must be there.
    for (const auto& [name, shard] : weight_map) {
      const SafetensorsFile* f = shards.at(shard);
      const TensorEntry* e = f->find(name);
      if (e == nullptr) {
        return not_found(index_path.string() + ": tensor '" + name + "' is not in its shard " + f->path());
      }
      MMS_RETURN_IF_ERROR(store->add(*f, *e));
    }
    return store;
  }
  std::vector<std::string> paths;
  if (fs::exists(root / "model.safetensors", ec)) {
    paths.push_back((root / "model.safetensors").string());
  } else {
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      if (entry.path().extension() == ".safetensors") paths.push_back(entry.path().string());
    }
    std::sort(paths.begin(), paths.end());
  }
  if (paths.empty()) {
    return not_found(dir + ": no model.safetensors, model.safetensors.index.json or *.safetensors");
  }
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  for (const std::string& p : paths) {
    MMS_ASSIGN_OR_RETURN(auto f, SafetensorsFile::open(p));
    files.push_back(std::move(f));
  }
  return from_files(dir, std::move(files));
}

StatusOr<Tensor> HfWeightStore::get(std::string_view name) const {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return not_found(source_ + ": no tensor '" + std::string(name) + "'");
  return it->second.file->tensor(*it->second.entry);
}

bool HfWeightStore::has(std::string_view name) const { return index_.count(std::string(name)) != 0; }

std::vector<std::string> HfWeightStore::names() const { return names_; }

}  // namespace mms::safetensors
