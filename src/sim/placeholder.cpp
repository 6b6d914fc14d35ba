// The sim layer grows with the lockstep runner (issue 3); this keeps the target non-empty.
namespace bts::sim {
int layer_marker() { return 0; }
}  // namespace bts::sim
