// ResolveUriReference against RFC 3986's own examples (section 5.4), plus the base URIs JSON
// Schema documents use, and the fragment helpers.
#include "core/schema/internal/uri_reference.h"

#include <gtest/gtest.h>

namespace outreach::schema::detail {
namespace {

TEST(UriReferenceTest, ResolvesTheRfcExamples) {
  const std::string base = "http://a/b/c/d;p?q";
  const std::pair<const char*, const char*> examples[] = {
      {"g:h", "g:h"},
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../g", "http://a/g"},
      {"../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {"./../g", "http://a/b/g"},
      {"g/../h", "http://a/b/c/h"},
  };
  for (const auto& [reference, expected] : examples) {
    EXPECT_EQ(ResolveUriReference(base, reference), expected) << "reference " << reference;
  }
}

TEST(UriReferenceTest, ResolvesJsonSchemaStyleBases) {
  EXPECT_EQ(ResolveUriReference("http://localhost:1234/", "folder/"),
            "http://localhost:1234/folder/");
  EXPECT_EQ(ResolveUriReference("http://localhost:1234/folder/", "folderInteger.json"),
            "http://localhost:1234/folder/folderInteger.json");
  EXPECT_EQ(ResolveUriReference("http://localhost:1234/tree", "node"),
            "http://localhost:1234/node");
  EXPECT_EQ(ResolveUriReference("urn:outreach:schema:contact", "#/definitions/uuid"),
            "urn:outreach:schema:contact#/definitions/uuid");
  EXPECT_EQ(ResolveUriReference("http://host", "a.json"), "http://host/a.json");
}

TEST(UriReferenceTest, SplitsTheFragment) {
  EXPECT_EQ(SplitFragment("http://a/b#/c").uri, "http://a/b");
  EXPECT_EQ(SplitFragment("http://a/b#/c").fragment, "/c");
  EXPECT_EQ(SplitFragment("http://a/b#").fragment, "");
  EXPECT_EQ(SplitFragment("http://a/b").fragment, std::nullopt);
}

TEST(UriReferenceTest, PercentCodesPointerFragments) {
  EXPECT_EQ(PercentDecode("/percent%25field/a%2Fb/%zz"), "/percent%field/a/b/%zz");
  EXPECT_EQ(PercentEncodeFragment("/percent%field/tilde~0/a b#"),
            "/percent%25field/tilde~0/a%20b%23");
  EXPECT_EQ(PercentDecode(PercentEncodeFragment("/\xC3\xA9/\"q\"")), "/\xC3\xA9/\"q\"");
}

}  // namespace
}  // namespace outreach::schema::detail
