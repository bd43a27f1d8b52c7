#include <string>

#include "render/entry_name.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;

TEST_GROUP(EntryName){};

static void expect(const char* name, bool is_dir, EntryKind kind, const char* path) {
    auto r = classify_entry_name(name, is_dir);
    CHECK_TEXT(r.ok(), name);
    CHECK_TEXT(r->kind == kind, name);
    STRCMP_EQUAL_TEXT(path, r->path.c_str(), name);
}

static void refused(std::string_view name, bool is_dir = false) {
    auto r = classify_entry_name(name, is_dir);
    CHECK_TEXT(!r.ok(), std::string(name).c_str());
    LONGS_EQUAL(EINVAL, r.error().code);
}

TEST(EntryName, CleansPathsIntoTheRoot) {
    expect("etc/passwd", false, EntryKind::regular, "etc/passwd");
    expect("/etc/passwd", false, EntryKind::regular, "etc/passwd");
    expect("./usr//bin/./sh", false, EntryKind::regular, "usr/bin/sh");
    expect("usr/lib/", true, EntryKind::regular, "usr/lib");
    expect("./", true, EntryKind::root, "");
    expect("/", true, EntryKind::root, "");
    expect(".", true, EntryKind::root, "");
    expect("caf\xe9.txt", false, EntryKind::regular, "caf\xe9.txt");
}

TEST(EntryName, RefusesEscapesAndRootTypeChanges) {
    refused("../../outside/sentinel");
    refused("a/../../outside/x");
    refused("./../x");
    refused("a/./../..");
    refused("..", true);
    refused("");
    refused("/");
    refused(".");
    refused(std::string_view("a\0b", 3));
}

TEST(EntryName, Whiteouts) {
    expect(".wh.etc", false, EntryKind::whiteout, "etc");
    expect("usr/.wh.lib", false, EntryKind::whiteout, "usr/lib");
    expect("/a/b/.wh.c", false, EntryKind::whiteout, "a/b/c");
    // The name decides, not the type (a symlink or directory named .wh.x is a whiteout).
    expect("a/.wh.x", true, EntryKind::whiteout, "a/x");
    expect("a/.wh..wh..opq", false, EntryKind::opaque, "a");
    expect(".wh..wh..opq", false, EntryKind::opaque, "");
    expect(".wh..wh.plnk", false, EntryKind::skip, "");
    expect("a/.wh..wh.aufs", false, EntryKind::skip, "");
    // Everything under the AUFS hard-link directory is metadata too (THREATS 45).
    expect(".wh..wh.plnk/123.456", false, EntryKind::skip, "");
    expect("a/.wh..wh.plnk/x/y", true, EntryKind::skip, "");
}

TEST(EntryName, RefusesMalformedWhiteouts) {
    refused(".wh.");
    refused("etc/.wh.");
    refused(".wh..");
    refused("etc/.wh..");
    refused(".wh...");
    refused("etc/.wh...");
    refused(".wh.etc/somefile");
    refused("a/.wh.b/c", true);
    refused(".wh..wh..opq/x");
}
