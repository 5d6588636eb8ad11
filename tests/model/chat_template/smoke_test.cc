#include <gtest/gtest.h>

#include "model/chat_template/chat_template.h"

namespace mms {
namespace {

TEST(ChatTemplateSmoke, Renders) {
  auto t = ChatTemplate::parse("{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  auto r = t->render(R"([{"role":"user","content":"hi"}])", false, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, "user:hi;");
}

}  // namespace
}  // namespace mms
