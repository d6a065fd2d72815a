// Conversions between fastchat::Code and wire::ErrorCode, and helpers to build
// error frames. Pure functions.
#pragma once

#include "common/status.h"
#include "fastchat.pb.h"

namespace fastchat::protocol {

wire::ErrorCode to_wire(Code code);
Code from_wire(wire::ErrorCode code);

// The Status carried by an Error frame body.
Status status_from_wire(const wire::Error& error);
// Fills `frame` as the error response to request `request_id`.
void set_error(wire::Frame& frame, std::uint64_t request_id, const Status& status);

}  // namespace fastchat::protocol
