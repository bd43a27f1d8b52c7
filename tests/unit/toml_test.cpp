#include <CppUTest/TestHarness.h>

#include <string>

#include "fetch/toml.hpp"

using namespace ocipod;

namespace {

TomlValue parse_ok(const std::string& text) {
    auto r = toml_parse(text, "t.toml");
    if (!r.ok()) FAIL(r.error().message.c_str());
    return r.ok() ? r.take() : TomlValue{};
}

// The error for text must start with "t.toml:LINE: " and contain what.
void expect_error(const std::string& text, int line, const char* what) {
    auto r = toml_parse(text, "t.toml");
    CHECK_TEXT(!r.ok(), ("accepted: " + text).c_str());
    if (r.ok()) return;
    LONGS_EQUAL(EINVAL, r.error().code);
    const std::string& msg = r.error().message;
    std::string prefix = "t.toml:" + std::to_string(line) + ": ";
    CHECK_TEXT(msg.rfind(prefix, 0) == 0, (text + " -> " + msg).c_str());
    CHECK_TEXT(msg.find(what) != std::string::npos, (text + " -> " + msg).c_str());
}

const TomlValue& member(const TomlValue& t, const char* key) {
    const TomlValue* v = t.get(key);
    CHECK_TEXT(v != nullptr, key);
    return *v;
}

}  // namespace

TEST_GROUP(Toml){};

TEST(Toml, ScalarsKeysAndComments) {
    TomlValue doc = parse_ok(
        "# leading comment\n"
        "bare-key_1 = \"v\"   # trailing comment\n"
        "\"quoted key\" = 'lit\\eral'\n"
        "'single' = true\n"
        "f = false\n"
        "n = -42\n"
        "p = +1_000\n"
        "min = -9223372036854775808\n"
        "max = 9223372036854775807\n"
        "\"\" = \"empty key\"\n"
        "esc = \"q\\\" b\\\\ n\\n t\\t u\\u00e9 U\\U0001F600\"\n");
    STRCMP_EQUAL("v", member(doc, "bare-key_1").string.c_str());
    STRCMP_EQUAL("lit\\eral", member(doc, "quoted key").string.c_str());
    CHECK(member(doc, "single").type == TomlType::boolean);
    CHECK(member(doc, "single").boolean);
    CHECK(!member(doc, "f").boolean);
    LONGS_EQUAL(-42, member(doc, "n").integer);
    LONGS_EQUAL(1000, member(doc, "p").integer);
    CHECK(member(doc, "min").integer == INT64_MIN);
    CHECK(member(doc, "max").integer == INT64_MAX);
    STRCMP_EQUAL("empty key", member(doc, "").string.c_str());
    STRCMP_EQUAL("q\" b\\ n\n t\t u\xc3\xa9 U\xf0\x9f\x98\x80", member(doc, "esc").string.c_str());
    LONGS_EQUAL(2, member(doc, "bare-key_1").line);
    LONGS_EQUAL(11, member(doc, "esc").line);
    // Document order is kept.
    STRCMP_EQUAL("bare-key_1", doc.members[0].key.c_str());
    STRCMP_EQUAL("esc", doc.members.back().key.c_str());
}

TEST(Toml, ArraysSpanLinesWithCommentsAndTrailingComma) {
    TomlValue doc = parse_ok(
        "a = [\n"
        "  \"x\", # first\n"
        "  'y',\n"
        "\n"
        "  \"z\",\n"
        "]\n"
        "empty = [ ]\n"
        "nested = [[1, 2], [true]]\n"
        "after = 1\n");
    const TomlValue& a = member(doc, "a");
    CHECK(a.type == TomlType::array);
    LONGS_EQUAL(3, a.items.size());
    STRCMP_EQUAL("z", a.items[2].string.c_str());
    LONGS_EQUAL(5, a.items[2].line);
    LONGS_EQUAL(0, member(doc, "empty").items.size());
    LONGS_EQUAL(2, member(doc, "nested").items[0].items[1].integer);
    LONGS_EQUAL(9, member(doc, "after").line);
}

TEST(Toml, TablesAndArraysOfTables) {
    TomlValue doc = parse_ok(
        "top = 1\n"
        "[[registry]]\n"
        "prefix = \"a\"\n"
        "[[registry.mirror]]\n"
        "location = \"m1\"\n"
        "[[registry.mirror]]\n"
        "location = \"m2\"\n"
        "[[registry]]\n"
        "prefix = \"b\"\n"
        "[[registry.mirror]]\n"
        "location = \"m3\"\n"
        "[ dotted . \"sub table\" ]\n"
        "k.l = 'v'\n");
    const TomlValue& regs = member(doc, "registry");
    CHECK(regs.array_of_tables);
    LONGS_EQUAL(2, regs.items.size());
    const TomlValue& m0 = member(regs.items[0], "mirror");
    LONGS_EQUAL(2, m0.items.size());
    STRCMP_EQUAL("m2", member(m0.items[1], "location").string.c_str());
    const TomlValue& m1 = member(regs.items[1], "mirror");
    LONGS_EQUAL(1, m1.items.size());
    STRCMP_EQUAL("m3", member(m1.items[0], "location").string.c_str());
    LONGS_EQUAL(8, regs.items[1].line);
    const TomlValue& sub = member(member(doc, "dotted"), "sub table");
    STRCMP_EQUAL("v", member(member(sub, "k"), "l").string.c_str());
}

TEST(Toml, ImplicitTablesMayBeDefinedLaterAndCrlfCounts) {
    TomlValue doc = parse_ok("[a.b.c]\r\nx = 1\r\n[a]\r\ny = 2\r\n");
    LONGS_EQUAL(4, member(member(doc, "a"), "y").line);
    LONGS_EQUAL(1, member(member(member(member(doc, "a"), "b"), "c"), "x").integer);
    expect_error("x = 1\r\ny = \r\n", 2, "missing value");
}

TEST(Toml, EmptyDocumentsAndBom) {
    LONGS_EQUAL(0, parse_ok("").members.size());
    LONGS_EQUAL(0, parse_ok("\n# only a comment\n   \n").members.size());
    LONGS_EQUAL(1, member(parse_ok("\xef\xbb\xbfx = 1"), "x").integer);
}

TEST(Toml, MalformedInputsNameTheLine) {
    expect_error("a = 1\nb = \n", 2, "missing value");
    expect_error("a = 1\n\na = 2\n", 3, "duplicate key 'a' (first defined on line 1)");
    expect_error("[t]\nx = 1\n[t]\n", 3, "table 't' is already defined on line 1");
    expect_error("s = \"abc\n", 1, "unterminated string");
    expect_error("\n\ns = \"a\\qb\"\n", 3, "invalid escape");
    expect_error("a = [1,\n2\n", 1, "unterminated array");
    expect_error("ok = 1\nx = {a = 1}\n", 2, "inline tables are not supported");
    expect_error("x = \"\"\"multi\"\"\"\n", 1, "multi-line strings are not supported");
    expect_error("x = '''multi'''\n", 1, "multi-line strings are not supported");
    expect_error("\nx = 1.5\n", 2, "floating-point");
    expect_error("x = 0x10\n", 1, "only decimal integers");
    expect_error("x = 007\n", 1, "leading zeros");
    expect_error("x = 99999999999999999999\n", 1, "out of range");
    expect_error("[a]\nb = 1 c = 2\n", 2, "unexpected 'c' after a value");
    expect_error("[[a]]\n[a]\n", 2, "an array of tables");
    expect_error("a = 1\n[a.b]\n", 2, "'a' is an integer (line 1), not a table");
    expect_error("x = 1\n[a\n", 2, "unterminated table header");
    expect_error("a = \"\\uD800\"\n", 1, "no Unicode scalar value");
    expect_error("a b = 1\n", 1, "expected '=' after key 'a', found 'b'");
    expect_error("x = tru\n", 1, "invalid value");
    expect_error("a.b = 1\n[a]\n", 2, "table 'a' is already defined");
    expect_error("x = [1 2]\n", 1, "expected ',' or ']'");
    expect_error("# ok\n= 1\n", 2, "missing key");
    expect_error("a = 1\nb = \"\xff\"\n", 2, "invalid UTF-8");
    expect_error("x = 'a\x01b'\n", 1, "control character");
    expect_error("a = [\n 1,\n ,\n]\n", 3, "expected a value before ','");
    expect_error("[a]]\n", 1, "unexpected ']' after a table header");
    expect_error("x = 1979-05-27\n", 1, "dates and times are not supported");
    expect_error("x = -inf\n", 1, "floating-point");
    expect_error("[[a]]\nb = 1\n[a.b]\n", 3, "'a.b' is already defined on line 2");
    expect_error("x = bare\n", 1, "strings must be quoted");
    expect_error("a = 1\na.b = 2\n", 2, "key 'a' is already defined on line 1");
    expect_error("x = \"a\\u12\"\n", 1, "\\u needs 4 hexadecimal digits");
    expect_error("x = 1\ny = 2 # ok\nz = 3\r4\n", 3, "after a value");
    expect_error("x = 1_\n", 1, "'_' in an integer");
    expect_error("[x]\n[[x]]\n", 2, "not an array of tables");
    expect_error("# comment \x07 bell\n", 1, "control character in a comment");
}

TEST(Toml, NestingIsBounded) {
    std::string deep = "x = " + std::string(200, '[') + std::string(200, ']') + "\n";
    expect_error(deep, 1, "nested too deeply");
}
