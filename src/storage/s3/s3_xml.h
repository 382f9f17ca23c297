// SPDX-License-Identifier: Apache-2.0
//
// File: storage/s3/s3_xml.h
//
// A small, dedicated reader for the few XML documents S3 answers with
// (ListBucketResult of ListObjectsV2, InitiateMultipartUploadResult, Error).
// It finds elements by local name (a namespace prefix such as "s3:" is
// ignored; attributes are allowed), treats <X/> as empty, decodes the five
// predefined entities and numeric character references (&#38; &#x26;) and
// CDATA sections, and skips <?...?> and <!--...-->. It is not a general XML
// parser: elements are matched by name, so it is used only where the element
// names are unambiguous at the level searched (each Contents block is read
// on its own).
//
// Pure functions; thread-safe.
#ifndef EBB_STORAGE_S3_S3_XML_H_
#define EBB_STORAGE_S3_S3_XML_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/object_store.h"

namespace ebb::storage::s3 {

// The raw (still escaped) contents of every <name ...>...</name> or <name/>
// in `xml`, in document order, outermost only.
std::vector<std::string_view> XmlElements(std::string_view xml,
                                          std::string_view name);

// The unescaped text of the first <name> element, or nullopt.
std::optional<std::string> XmlText(std::string_view xml, std::string_view name);

// Entities, character references and CDATA sections decoded.
std::string XmlUnescape(std::string_view text);

struct ListPage {
  std::vector<ObjectInfo> objects;  // keys as the server sent them
  bool is_truncated = false;
  std::string next_continuation_token;
};

// A ListObjectsV2 response body. ETags lose their quotes; LastModified is
// ISO 8601 ("2024-05-01T12:00:00.000Z"). InvalidArgument (naming what is
// missing) if it is not a ListBucketResult, a Contents has no Key or a bad
// Size, or a truncated page has no NextContinuationToken.
absl::StatusOr<ListPage> ParseListObjectsV2(std::string_view xml);

struct S3Error {
  std::string code;     // "NoSuchKey"; "" if the body is not an <Error>
  std::string message;  // server's text
};

// The <Error> in a response body; empty code when there is none.
S3Error ParseS3Error(std::string_view xml);

}  // namespace ebb::storage::s3

#endif  // EBB_STORAGE_S3_S3_XML_H_
