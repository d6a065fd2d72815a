#include "protocol/error_mapping.h"

#include <gtest/gtest.h>

namespace fastchat::protocol {
namespace {

TEST(ErrorMappingTest, WireCodesRoundTrip) {
  for (Code code : {Code::kBadRequest, Code::kUnsupportedVersion, Code::kAuthFailed,
                    Code::kUnknownUser, Code::kMembershipChanged, Code::kUnavailable,
                    Code::kNoServer, Code::kTooLarge, Code::kLimitReached}) {
    EXPECT_EQ(from_wire(to_wire(code)), code);
  }
}

TEST(ErrorMappingTest, LocalCodesBecomeInternal) {
  EXPECT_EQ(to_wire(Code::kIo), wire::INTERNAL);
  EXPECT_EQ(to_wire(Code::kCrypto), wire::INTERNAL);
}

TEST(ErrorMappingTest, SetErrorFillsFrame) {
  wire::Frame frame;
  set_error(frame, 9, Status(Code::kForbidden, "not an admin"));
  EXPECT_EQ(frame.request_id(), 9u);
  ASSERT_TRUE(frame.has_error());
  EXPECT_EQ(frame.error().code(), wire::FORBIDDEN);
  EXPECT_EQ(status_from_wire(frame.error()).to_string(), "forbidden: not an admin");
}

}  // namespace
}  // namespace fastchat::protocol
