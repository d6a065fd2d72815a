// PushEncoder: the InboxMessage push frames of one committed message, for any number
// of recipients. The fields every recipient shares (message_id, sender, group_id,
// body, server_time_ms) are serialized once; a recipient's frame only adds a small
// head in front of them (length prefix, Frame.message tag and length, seq and the
// recipient's sealed_key). The bytes parse as the same Frame as one encoded with
// append_frame() (protobuf merges concatenated fields of a message).
// Thread-safety: immutable after construction; shared() may be read from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace fastchat::protocol {

class PushEncoder {
 public:
  PushEncoder(std::string_view message_id, std::string_view sender, std::uint64_t group_id,
              std::string_view body, std::uint64_t server_time_ms);

  // Appends the head of one recipient's frame; the frame is the head followed by
  // shared_fields(). Returns false (and appends nothing) when the frame would exceed
  // kMaxFrameBytes.
  bool append_head(std::string& out, std::uint64_t seq, std::string_view sealed_key) const;
  // Appends one recipient's whole frame (head and shared fields).
  bool append_frame(std::string& out, std::uint64_t seq, std::string_view sealed_key) const;

  // The serialized shared fields, one copy for every recipient.
  const std::shared_ptr<const std::string>& shared_fields() const { return shared_; }

 private:
  std::shared_ptr<const std::string> shared_;
};

}  // namespace fastchat::protocol
