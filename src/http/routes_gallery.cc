// SPDX-License-Identifier: Apache-2.0
// GET /api/v1/images (the gallery) and GET /api/v1/objects/{key} (docs/api.md
// "Gallery and objects").
//
// The gallery lists the store's `*.json` result records (worker/record.h),
// keeps the finished ones (status "done") whose PNGs are all present, and
// flattens them into one entry per image, newest record first (created_at, then
// id, descending; images of one record by index). Parsed records are cached by
// key and (etag, size, modified), so each call costs one List plus reads of new
// or changed records only. The cursor is "<created_at>|<id>|<index>" of the
// last entry returned.
#include <httplib.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/json_limits.h"
#include "http/api_context.h"

namespace ebb::http {
namespace {

constexpr int kDefaultLimit = 24;
constexpr int kMaxLimit = 100;

struct Record {
  bool usable = false;  // status done, with at least one image
  std::string id, prompt, model, created_at;
  int64_t width = 0, height = 0;
  uint64_t seed = 0;
  nlohmann::json timings;
  std::vector<std::pair<int, std::string>> images;  // (index, key)
};

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

nlohmann::json Num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? *it : nlohmann::json(nullptr);
}

// "<id>-<n>.png" -> n; `fallback` when the key has another shape.
int ImageIndex(const std::string& key, int fallback) {
  const size_t dash = key.rfind('-');
  int n = 0;
  if (dash == std::string::npos || !absl::EndsWith(key, ".png"))
    return fallback;
  const std::string digits = key.substr(dash + 1, key.size() - dash - 1 - 4);
  return absl::SimpleAtoi(digits, &n) && n > 0 ? n : fallback;
}

Record ParseRecord(const std::string& key, const std::string& text,
                   absl::Time modified) {
  Record r;
  if (!JsonNestingWithin(text)) return r;  // a foreign, hostile file
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || Str(j, "status") != "done")
    return r;
  r.id = Str(j, "id");
  if (r.id.empty()) r.id = key.substr(0, key.size() - 5);  // "<id>.json"
  r.prompt = Str(j, "prompt");
  r.model = Str(j, "model");
  if (r.model.empty()) r.model = Str(j, "lcm_model_id");
  r.created_at = Str(j, "created_at");
  if (r.created_at.empty()) {
    r.created_at =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", modified, absl::UTCTimeZone());
  }
  const auto w = Num(j, "image_width"), h = Num(j, "image_height"),
             s = Num(j, "seed");
  r.width = w.is_number_integer() ? w.get<int64_t>() : 0;
  r.height = h.is_number_integer() ? h.get<int64_t>() : 0;
  r.seed =
      s.is_number_unsigned() || s.is_number_integer() ? s.get<uint64_t>() : 0;
  r.timings = {{"queue_wait_ms", Num(j, "queue_wait_ms")},
               {"model_load_ms", Num(j, "model_load_ms")},
               {"inference_ms", Num(j, "inference_ms")},
               {"upload_ms", Num(j, "upload_ms")}};
  auto images = j.find("images");
  if (images == j.end() || !images->is_array()) return r;
  int pos = 0;
  for (const auto& img : *images) {
    ++pos;
    if (!img.is_string()) return r;
    const std::string k = img.get<std::string>();
    r.images.emplace_back(ImageIndex(k, pos), k);
  }
  std::sort(r.images.begin(), r.images.end());
  r.usable = !r.images.empty();
  return r;
}

struct Cursor {
  std::string created_at, id;
  int index = 0;
};

bool ParseCursor(const std::string& text, Cursor* c) {
  const size_t first = text.find('|'), last = text.rfind('|');
  if (first == std::string::npos || first == last) return false;
  c->created_at = text.substr(0, first);
  c->id = text.substr(first + 1, last - first - 1);
  return absl::SimpleAtoi(text.substr(last + 1), &c->index);
}

// Whether image `index` of `r` comes after `c` in gallery order.
bool After(const Record& r, int index, const Cursor& c) {
  if (r.created_at != c.created_at) return r.created_at < c.created_at;
  if (r.id != c.id) return r.id < c.id;
  return index > c.index;
}

class Gallery {
 public:
  // Finished records with every image present, newest first.
  absl::StatusOr<std::vector<std::shared_ptr<const Record>>> Records(
      storage::ObjectStore& store) {
    auto listed = store.List("");
    if (!listed.ok()) return listed.status();
    std::set<std::string> keys;
    for (const auto& o : *listed) keys.insert(o.key);

    std::map<std::string, Cached> fresh;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& o : *listed) {
        if (!absl::EndsWith(o.key, ".json")) continue;
        auto it = cache_.find(o.key);
        if (it != cache_.end() && it->second.Matches(o))
          fresh[o.key] = it->second;
      }
    }
    for (const auto& o : *listed) {
      if (!absl::EndsWith(o.key, ".json") || fresh.count(o.key)) continue;
      auto text = store.Get(o.key);
      if (absl::IsNotFound(text.status())) continue;  // deleted since the list
      if (!text.ok()) return text.status();
      fresh[o.key] = Cached{o.etag, o.size, o.modified,
                            std::make_shared<const Record>(
                                ParseRecord(o.key, *text, o.modified))};
    }

    std::vector<std::shared_ptr<const Record>> out;
    for (const auto& [key, c] : fresh) {
      if (!c.record->usable) continue;
      bool complete = true;
      for (const auto& [index, img] : c.record->images)
        complete = complete && keys.count(img);
      if (complete) out.push_back(c.record);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      if (a->created_at != b->created_at) return a->created_at > b->created_at;
      return a->id > b->id;
    });
    std::lock_guard<std::mutex> lock(mu_);
    cache_ = std::move(fresh);  // forgets records no longer listed
    return out;
  }

 private:
  struct Cached {
    std::string etag;
    int64_t size = 0;
    absl::Time modified;
    std::shared_ptr<const Record> record;
    bool Matches(const storage::ObjectInfo& o) const {
      return o.etag == etag && o.size == size && o.modified == modified;
    }
  };
  std::mutex mu_;
  std::map<std::string, Cached> cache_;  // guarded by mu_
};

void ListImages(ApiContext& ctx, Gallery& gallery, const httplib::Request& req,
                httplib::Response& res) {
  if (!Authorize(ctx, req, res, false)) return;
  if (ctx.store == nullptr)
    return ErrorReply(res, 503, "no object store is configured");
  int limit = kDefaultLimit;
  if (req.has_param("limit") &&
      !absl::SimpleAtoi(req.get_param_value("limit"), &limit)) {
    return ErrorReply(res, 400, "limit: not a number", "limit");
  }
  limit = std::clamp(limit, 1, kMaxLimit);
  Cursor cursor;
  const bool has_cursor =
      req.has_param("before") && !req.get_param_value("before").empty();
  if (has_cursor && !ParseCursor(req.get_param_value("before"), &cursor)) {
    return ErrorReply(res, 400, "before: not a cursor from a previous reply",
                      "before");
  }
  auto records = gallery.Records(*ctx.store);
  if (!records.ok()) return ErrorReply(res, 503, records.status().ToString());

  nlohmann::json images = nlohmann::json::array();
  nlohmann::json next = nullptr;
  for (const auto& r : *records) {
    for (const auto& [index, key] : r->images) {
      if (has_cursor && !After(*r, index, cursor)) continue;
      if (static_cast<int>(images.size()) == limit) {
        const auto& last = images.back();
        next = absl::StrCat(last["created_at"].get<std::string>(), "|",
                            last["id"].get<std::string>(), "|",
                            last["index"].get<int>());
        break;
      }
      images.push_back(
          {{"url", "/api/v1/objects/" + key},
           {"id", r->id},
           {"index", index},
           {"prompt", r->prompt},
           {"model", r->model},
           {"width", r->width},
           {"height", r->height},
           {"seed", r->seed + static_cast<uint64_t>(index - 1)},  // per image
           {"created_at", r->created_at},
           {"timings", r->timings}});
    }
    if (!next.is_null()) break;
  }
  JsonReply(res, 200, {{"images", images}, {"next", next}});
}

// A file name for `?download=1`: "<prompt slug>-<seed>-<short id>-<n>.png"
// for an image whose record is known (slug: lowercase letters and digits of
// the prompt, words joined by '-', at most 40 characters), else the key's
// last segment. Only [a-z0-9._-] survive, so the header needs no quoting.
std::string DownloadName(ApiContext& ctx, const std::string& key) {
  std::string base = key.substr(key.rfind('/') + 1);
  const size_t dash = base.rfind('-');
  const int n = ImageIndex(base, 0);
  if (n > 0 && dash != std::string::npos) {
    const std::string id = base.substr(0, dash);
    auto text = ctx.store->Get(id + ".json");
    auto j = text.ok() && JsonNestingWithin(*text)
                 ? nlohmann::json::parse(*text, nullptr, false)
                 : nlohmann::json();
    if (j.is_object()) {
      std::string slug;
      for (char c : Str(j, "prompt")) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (absl::ascii_isalnum(u)) {
          slug += absl::ascii_tolower(u);
        } else if (!slug.empty() && slug.back() != '-') {
          slug += '-';
        }
        if (slug.size() >= 40) break;
      }
      while (!slug.empty() && slug.back() == '-') slug.pop_back();
      if (slug.empty()) slug = "image";
      const nlohmann::json seed = Num(j, "seed");
      std::string short_id;
      for (char c : id) {
        if (absl::ascii_isalnum(static_cast<unsigned char>(c))) short_id += c;
        if (short_id.size() >= 8) break;
      }
      base = absl::StrCat(slug, "-",
                          seed.is_number_unsigned() || seed.is_number_integer()
                              ? absl::StrCat(seed.get<uint64_t>() +
                                             static_cast<uint64_t>(n - 1))
                              : std::string("noseed"),
                          "-", absl::AsciiStrToLower(short_id), "-", n, ".png");
    }
  }
  std::string safe;
  for (char c : base) {
    const unsigned char u = static_cast<unsigned char>(c);
    safe +=
        absl::ascii_isalnum(u) || c == '.' || c == '-' || c == '_' ? c : '_';
  }
  return safe;
}

std::string ContentTypeFor(const std::string& key) {
  if (absl::EndsWithIgnoreCase(key, ".png")) return "image/png";
  if (absl::EndsWithIgnoreCase(key, ".json")) return "application/json";
  return "application/octet-stream";
}

void GetObject(ApiContext& ctx, const httplib::Request& req,
               httplib::Response& res) {
  if (!Authorize(ctx, req, res, false)) return;
  if (ctx.store == nullptr)
    return ErrorReply(res, 503, "no object store is configured");
  const std::string key = req.matches[1];
  if (key.empty() || key.front() == '/' || absl::StrContains(key, "..")) {
    return ErrorReply(res, 400, "key: must not start with '/' or contain '..'",
                      "key");
  }
  if (absl::Status valid = storage::ValidateObjectKey(key); !valid.ok()) {
    return ErrorReply(res, 400, std::string(valid.message()), "key");
  }
  auto data = ctx.store->Get(key);
  if (absl::IsNotFound(data.status())) {
    return ErrorReply(res, 404, absl::StrCat("no object named \"", key, "\""));
  }
  if (absl::IsPermissionDenied(data.status())) {
    return ErrorReply(res, 403, std::string(data.status().message()));
  }
  if (!data.ok()) return ErrorReply(res, 503, data.status().ToString());
  res.set_header("Cache-Control", "private, max-age=60");
  if (req.has_param("download") && req.get_param_value("download") != "0") {
    res.set_header(
        "Content-Disposition",
        absl::StrCat("attachment; filename=\"", DownloadName(ctx, key), "\""));
  }
  res.set_content(std::move(*data), ContentTypeFor(key));
}

}  // namespace

void RegisterGalleryRoutes(httplib::Server& s, ApiContext& ctx) {
  auto gallery = std::make_shared<Gallery>();
  s.Get("/api/v1/images",
        [&ctx, gallery](const httplib::Request& req, httplib::Response& res) {
          ListImages(ctx, *gallery, req, res);
        });
  s.Get(R"(/api/v1/objects/(.+))",
        [&ctx](const httplib::Request& req, httplib::Response& res) {
          GetObject(ctx, req, res);
        });
}

}  // namespace ebb::http
