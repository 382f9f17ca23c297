// SPDX-License-Identifier: Apache-2.0
//
// File: storage/s3/s3_encoding.h
//
// The encodings a SigV4-signed S3 request needs. libcurl 7.88's SigV4 signer
// puts the URL's path and query into the canonical request as they are, so
// they must already be canonical (../shared/reference/test-peers.md §2):
//  - every path segment and query key/value percent-encoded per RFC 3986
//    (unreserved A-Z a-z 0-9 - . _ ~ kept, everything else %XX, uppercase hex);
//  - the query sorted by key, empty values written "key=".
// And the caller sends x-amz-content-sha256 itself (curl does not add it).
//
// Pure functions; thread-safe.
#ifndef EBB_STORAGE_S3_S3_ENCODING_H_
#define EBB_STORAGE_S3_S3_ENCODING_H_

#include <map>
#include <string>
#include <string_view>

namespace ebb::storage::s3 {

// RFC 3986 percent-encoding of every byte outside the unreserved set
// ("a b/ü" -> "a%20b%2F%C3%BC").
std::string UriEncode(std::string_view s);

// Percent-decoding of %XX (case-insensitive hex); other bytes, including '+',
// are kept. Malformed escapes are kept as they are.
std::string UriDecode(std::string_view s);

// An object key as a URL path: each '/'-separated segment UriEncoded, the
// slashes kept ("a b/ü.png" -> "a%20b/%C3%BC.png").
std::string EncodeKeyPath(std::string_view key);

// Raw (unencoded) query parameters, kept sorted by key.
using QueryParams = std::map<std::string, std::string>;

// "k1=v1&k2=" with keys and values UriEncoded, sorted by encoded key; "" for
// no parameters.
std::string CanonicalQuery(const QueryParams& params);

// Lowercase hex SHA-256 of `data` (OpenSSL).
std::string Sha256Hex(std::string_view data);

}  // namespace ebb::storage::s3

#endif  // EBB_STORAGE_S3_S3_ENCODING_H_
