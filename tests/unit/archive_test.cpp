// TarReader: tar only, the compressions the caller allows, and damaged input as an error
// (THREATS.md §1.3: ARCHIVE_RETRY would otherwise skip a tampered member).
#include <fcntl.h>
#include <string.h>

#include <algorithm>

#include "c/archive.hpp"
#include "image_fixture.hpp"

// CppUTest last: its leak-detecting operator new macro must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

// All members' names and contents, or the first error's message prefixed with "error: ".
std::string read_all(const std::string& path, std::initializer_list<TarCompression> allowed) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "error: open";
    UniqueFd owner(fd);
    auto r = TarReader::open_fd(fd, allowed);
    if (!r) return "error: " + r.error().message;
    std::string out;
    TarEntry e;
    for (;;) {
        auto more = r->next(&e);
        if (!more) return out + "error: " + more.error().message;
        if (!*more) return out;
        out += e.path + "=";
        char buf[7];
        for (;;) {
            auto n = r->read(buf, sizeof buf);
            if (!n) return out + "error: " + n.error().message;
            if (*n == 0) break;
            out.append(buf, *n);
        }
        out += ";";
    }
}

}  // namespace

TEST_GROUP(TarReader) {
    TempDir* tmp = nullptr;
    std::string dir_path;
    void setup() override {
        tmp = new TempDir();
        dir_path = tmp->path();
    }
    void teardown() override {
        delete tmp;
    }
    std::string path(const std::string& name) const {
        return dir_path + "/" + name;
    }
};

TEST(TarReader, ReadsMembersInOrder) {
    write_path(path("a.tar"), TarBuilder().file("a", "one").dir("d/").file("d/b", "two!").finish());
    STRCMP_EQUAL("a=one;d/=;d/b=two!;", read_all(path("a.tar"), {TarCompression::none}).c_str());
}

TEST(TarReader, DamagedHeaderIsAnErrorNotASkip) {
    std::string tar =
        TarBuilder().file("a", "1").file("b", "2").file("c", "3").damage_header(1).finish();
    write_path(path("bad.tar"), tar);
    std::string got = read_all(path("bad.tar"), {TarCompression::none});
    CHECK_TEXT(got.starts_with("a=1;error: "), got.c_str());
    CHECK_TEXT(got.find("c=3") == std::string::npos, got.c_str());
}

TEST(TarReader, TruncatedDataIsAnError) {
    std::string tar = TarBuilder().file("big", pattern_bytes(5000, 1)).finish();
    write_path(path("cut.tar"), tar.substr(0, 512 + 1024));
    std::string got = read_all(path("cut.tar"), {TarCompression::none});
    CHECK_TEXT(got.find("error: ") != std::string::npos, got.c_str());
}

TEST(TarReader, CompressionMustBeAllowed) {
    write_path(path("a.tar"), TarBuilder().file("a", "one").finish());
    CHECK_EQUAL(0, system(("gzip -n -c " + path("a.tar") + " > " + path("a.tar.gz")).c_str()));
    STRCMP_EQUAL("a=one;",
                 read_all(path("a.tar.gz"), {TarCompression::none, TarCompression::gzip}).c_str());
    std::string got = read_all(path("a.tar.gz"), {TarCompression::none});
    CHECK_TEXT(got.starts_with("error: "), got.c_str());
    // A caller that expects gzip (by media type) gets an error for plain tar.
    got = read_all(path("a.tar"), {TarCompression::gzip});
    CHECK_TEXT(got.starts_with("error: "), got.c_str());
}

TEST(TarReader, OtherFormatsAreNotRead) {
    // A cpio archive ("070707" odc magic) would be read by support_format_all.
    std::string cpio = "070707" + std::string(70, '0');
    write_path(path("x.cpio"), cpio + std::string(512, '\0'));
    std::string got = read_all(path("x.cpio"), {TarCompression::none, TarCompression::gzip});
    CHECK_TEXT(got.starts_with("error: "), got.c_str());
}

TEST(TarReader, ReportsLinks) {
    write_path(path("l.tar"),
               TarBuilder().file("f", "x").symlink("s", "../f").hardlink("h", "f").finish());
    int fd = open(path("l.tar").c_str(), O_RDONLY | O_CLOEXEC);
    UniqueFd owner(fd);
    auto r = TarReader::open_fd(fd, {TarCompression::none});
    CHECK(r.ok());
    TarEntry e;
    CHECK(*r->next(&e));
    CHECK(e.type == TarEntry::Type::regular);
    LONGS_EQUAL(1, e.size);
    CHECK(*r->next(&e));
    CHECK(e.type == TarEntry::Type::symlink);
    STRCMP_EQUAL("../f", e.link_target.c_str());
    CHECK(*r->next(&e));
    CHECK(e.type == TarEntry::Type::hardlink);
    STRCMP_EQUAL("f", e.link_target.c_str());
    CHECK(!*r->next(&e));
}

namespace {

// An in-memory tar stream handed out a few bytes at a time; optionally failing once fail_at
// bytes have been given.
class MemorySource : public ByteSource {
public:
    explicit MemorySource(std::string data, size_t fail_at = std::string::npos)
        : data_(std::move(data)), fail_at_(fail_at) {}
    Result<size_t> read(void* buf, size_t len) override {
        if (pos_ >= fail_at_) return make_error(EIO, "layer 7: the blob vanished at %zu", pos_);
        size_t n = std::min({len, size_t{300}, data_.size() - pos_, fail_at_ - pos_});
        memcpy(buf, data_.data() + pos_, n);
        pos_ += n;
        return n;
    }

private:
    std::string data_;
    size_t fail_at_;
    size_t pos_ = 0;
};

// Members as "name=data;" from a source, or the first error's message after "error: ".
std::string read_source(ByteSource* src, int* code = nullptr) {
    auto r = TarReader::open_source(src);
    if (!r) {
        if (code) *code = r.error().code;
        return "error: " + r.error().message;
    }
    std::string out;
    TarEntry e;
    for (;;) {
        auto more = r->next(&e);
        if (!more) {
            if (code) *code = more.error().code;
            return out + "error: " + more.error().message;
        }
        if (!*more) {
            if (r->compression() != TarCompression::none) return out + "error: compression";
            return out;
        }
        out += e.path + "=";
        char buf[1000];
        for (;;) {
            auto n = r->read(buf, sizeof buf);
            if (!n) {
                if (code) *code = n.error().code;
                return out + "error: " + n.error().message;
            }
            if (*n == 0) break;
            out.append(buf, *n);
        }
        out += ";";
    }
}

}  // namespace

TEST(TarReader, ReadsMembersFromASource) {
    std::string big = pattern_bytes(5000, 3);
    MemorySource src(TarBuilder().file("a", "one").dir("d/").file("d/big", big).finish());
    STRCMP_EQUAL(("a=one;d/=;d/big=" + big + ";").c_str(), read_source(&src).c_str());
}

TEST(TarReader, SourceErrorKeepsItsOwnMessage) {
    std::string tar = TarBuilder().file("a", "one").file("big", pattern_bytes(5000, 4)).finish();
    for (size_t fail_at : {size_t{0}, size_t{512}, size_t{2000}}) {
        MemorySource src(tar, fail_at);
        int code = 0;
        std::string got = read_source(&src, &code);
        std::string want = "error: layer 7: the blob vanished at " + std::to_string(fail_at);
        CHECK_TEXT(got.ends_with(want), got.c_str());
        LONGS_EQUAL(EIO, code);
    }
}

TEST(TarReader, SourceIsNeverDecompressed) {
    // A gzip'd tar from a source is not a tar: the caller decompresses.
    write_path(path("a.tar"), TarBuilder().file("a", "one").finish());
    CHECK_EQUAL(0, system(("gzip -n -c " + path("a.tar") + " > " + path("a.tar.gz")).c_str()));
    MemorySource src(read_path(path("a.tar.gz")));
    std::string got = read_source(&src);
    CHECK_TEXT(got.starts_with("error: "), got.c_str());
}

TEST(TarReader, NamesAreTheExactBytesInEveryHeaderForm) {
    // THREATS 9: UTF-8 and non-UTF-8 names in ustar and PAX form come back byte for byte,
    // whatever the process locale (PAX names would otherwise go through a locale conversion).
    TarMember pax_utf8;
    pax_utf8.name = "x";
    pax_utf8.type = '0';
    pax_utf8.with_pax("path", "caf\xc3\xa9-pax.txt").with_data("p");
    TarMember pax_link;
    pax_link.name = "l";
    pax_link.type = '2';
    pax_link.link = "t";
    pax_link.with_pax("linkpath", "\xe2\x86\x92target");
    MemorySource src(TarBuilder()
                         .file("caf\xe9-ustar.txt", "u")
                         .file("caf\xc3\xa9-ustar.txt", "v")
                         .add(pax_utf8)
                         .add(pax_link)
                         .finish());
    auto r = TarReader::open_source(&src);
    CHECK_TEXT(r.ok(), r ? "" : r.error().message.c_str());
    std::vector<std::string> names, links;
    TarEntry e;
    for (;;) {
        auto more = r->next(&e);
        CHECK_TEXT(more.ok(), more ? "" : more.error().message.c_str());
        if (!*more) break;
        names.push_back(e.path);
        links.push_back(e.link_target);
    }
    LONGS_EQUAL(4, names.size());
    STRCMP_EQUAL("caf\xe9-ustar.txt", names[0].c_str());
    STRCMP_EQUAL("caf\xc3\xa9-ustar.txt", names[1].c_str());
    STRCMP_EQUAL("caf\xc3\xa9-pax.txt", names[2].c_str());
    STRCMP_EQUAL("\xe2\x86\x92target", links[3].c_str());
}
