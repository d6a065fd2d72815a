#include "client/password_strength.h"

#include <sodium.h>
#include <zxcvbn.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace fastchat::client {

namespace {

constexpr const char* kAdvice =
    "; choose at least 10 characters that are hard to guess, e.g. four or more random "
    "words, and no names, dates or keyboard patterns";

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a UTF-8 continuation byte
  }));
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

ZxcTypeMatch_t kind(const ZxcMatch_t& match) {
  return static_cast<ZxcTypeMatch_t>(match.Type & ~MULTIPLE_MATCH);
}

// What made the password easy to guess: the user name when it is in there, otherwise
// the kind of the match that covers most of it.
const char* weakness(const ZxcMatch_t* matches) {
  const ZxcMatch_t* largest = nullptr;
  for (const ZxcMatch_t* m = matches; m != nullptr; m = m->Next) {
    if (kind(*m) == USER_MATCH || kind(*m) == USER_LEET_MATCH) return "it contains your user name";
    if (kind(*m) == BRUTE_MATCH) continue;
    if (largest == nullptr || m->Length > largest->Length) largest = m;
  }
  if (largest == nullptr) return "it is too easy to guess";
  if ((largest->Type & MULTIPLE_MATCH) != 0) return "it repeats characters or words";
  switch (kind(*largest)) {
    case DICTIONARY_MATCH:
    case DICT_LEET_MATCH:
      return "it is mostly a common password or word";
    case REPEATS_MATCH:
      return "it repeats characters or words";
    case SEQUENCE_MATCH:
      return "it is mostly a sequence such as abcd or 1234";
    case SPATIAL_MATCH:
      return "it is mostly a keyboard pattern such as qwerty";
    case DATE_MATCH:
    case YEAR_MATCH:
      return "it is mostly a date or a year";
    default:
      return "it is too easy to guess";
  }
}

Status weak(const std::string& why) {
  return Status(Code::kWeakPassword, why + kAdvice);
}

}  // namespace

Status check_password_strength(std::string_view password, std::string_view username) {
  if (!username.empty() && equal_ignoring_case(password, username)) {
    return weak("it is your user name");
  }
  if (code_points(password) < kMinPasswordLength) {
    return weak("it has fewer than " + std::to_string(kMinPasswordLength) + " characters");
  }
  if (password.find('\0') != std::string_view::npos) {
    return Status(Code::kBadRequest, "the password contains a NUL character");
  }
  // zxcvbn wants C strings; the copy is wiped after use.
  std::string text(password);
  const std::string name(username);
  const char* user_words[] = {name.c_str(), "fastchat", nullptr};
  ZxcMatch_t* matches = nullptr;
  const double bits = ZxcvbnMatch(text.c_str(), user_words, &matches);
  sodium_memzero(text.data(), text.size());
  Status result = Status::ok();
  if (bits < kMinPasswordBits) result = weak(weakness(matches));
  ZxcvbnFreeInfo(matches);
  return result;
}

}  // namespace fastchat::client
