// Python str semantics over UTF-8 std::string for the chat-template interpreter: code-point length and
// slicing, strip/split/replace/case mapping as Python 3 defines them. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mms::jinja {

// Decodes UTF-8; an invalid byte becomes U+FFFD.
std::u32string utf8_decode(std::string_view s);
void utf8_append(char32_t cp, std::string& out);
std::string utf8_encode(std::u32string_view s);
size_t utf8_length(std::string_view s);

// str.isspace() for one code point (ASCII whitespace, \x1c-\x1f, \x85, \xa0, Unicode spaces).
bool py_isspace(char32_t cp);

// str.strip/lstrip/rstrip: chars == nullopt strips whitespace.
std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right);
// str.split / str.rsplit: sep == nullopt splits on whitespace runs; maxsplit < 0 = no limit.
// Returns false (with no result) for an empty separator, which Python rejects.
bool py_split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit, bool from_right,
              std::vector<std::string>* out);
std::vector<std::string> py_splitlines(std::string_view s, bool keepends);
// str.replace(old, new, count); count < 0 = all.
std::string py_replace(std::string_view s, std::string_view from, std::string_view to, int64_t count);
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
std::string py_capitalize(std::string_view s);  // str.capitalize()
std::string py_title(std::string_view s);       // str.title()
std::string jinja_title(std::string_view s);    // Jinja's |title filter (word starts after - space ( { [ <)

}  // namespace mms::jinja
