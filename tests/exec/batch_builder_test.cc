#include "exec/batch_builder.h"

#include <gtest/gtest.h>

namespace mms {
namespace {

TEST(BatchBuilderTest, FlattensSequencesWithSlotsAndLogitsRows) {
  BatchBuilder b(4);
  std::vector<int32_t> prefill = {10, 11, 12, 13, 14, 15};  // positions 0..5 in blocks 7, 2
  std::vector<int32_t> table_a = {7, 2};
  std::vector<int32_t> decode = {99};  // position 9 of a sequence in blocks 3, 5, 1
  std::vector<int32_t> table_b = {3, 5, 1};
  b.add({prefill, 0, table_a, LogitsWanted::kAll});
  b.add({decode, 9, table_b, LogitsWanted::kLast});
  ForwardBatch fb = b.build();
  ASSERT_EQ(fb.token_ids.size(), 7u);
  EXPECT_EQ(fb.positions[5], 5);
  EXPECT_EQ(fb.positions[6], 9);
  EXPECT_EQ(fb.slot_mapping[0], 7 * 4 + 0);
  EXPECT_EQ(fb.slot_mapping[5], 2 * 4 + 1);
  EXPECT_EQ(fb.slot_mapping[6], 1 * 4 + 1);  // position 9 -> block index 2 (id 1), offset 1
  EXPECT_EQ(fb.attn.num_seqs, 2);
  EXPECT_EQ(fb.attn.query_start_loc[1], 6);
  EXPECT_EQ(fb.attn.query_start_loc[2], 7);
  EXPECT_EQ(fb.attn.seq_lens[0], 6);
  EXPECT_EQ(fb.attn.seq_lens[1], 10);
  EXPECT_EQ(fb.attn.max_blocks_per_seq, 3);
  EXPECT_EQ(fb.attn.block_tables[3 + 2], 1);
  ASSERT_EQ(fb.logits_indices.size(), 7u);
  EXPECT_EQ(fb.logits_indices[6], 6);
  EXPECT_EQ(b.logits_offset(1), 6);
}

TEST(BatchBuilderTest, ChunkWithoutLogits) {
  BatchBuilder b(16);
  std::vector<int32_t> chunk = {1, 2, 3};
  std::vector<int32_t> table = {0};
  b.add({chunk, 4, table, LogitsWanted::kNone});
  ForwardBatch fb = b.build();
  EXPECT_TRUE(fb.logits_indices.empty());
  EXPECT_EQ(fb.positions[0], 4);
  EXPECT_EQ(fb.attn.seq_lens[0], 7);
}

}  // namespace
}  // namespace mms
