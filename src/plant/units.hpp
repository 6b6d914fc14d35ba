#pragma once
// Unit conversions shared by the plant's models.

namespace bts::plant {

inline constexpr double kSecondsPerHour = 3600.0;  // W x s -> Wh, A x s -> Ah

}  // namespace bts::plant
