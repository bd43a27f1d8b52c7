#include <string>

#include "oci/run_config.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;

TEST_GROUP(RunConfig){};

static std::string with_config(const std::string& config) {
    return R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},)"
           R"("config":)" +
           config + "}";
}

static void refused(const std::string& config, const char* field) {
    auto r = parse_image_run_config(with_config(config));
    CHECK_TEXT(!r.ok(), config.c_str());
    LONGS_EQUAL(EBADMSG, r.error().code);
    std::string want = std::string("image config field '") + field + "'";
    CHECK_TEXT(r.error().message.find(want) != std::string::npos, r.error().message.c_str());
}

TEST(RunConfig, ReadsEveryField) {
    auto r = parse_image_run_config(
        R"({"architecture":"arm64","os":"linux","variant":"v8","os.version":"6.1",)"
        R"("os.features":["a","b"],"author":"me","created":"2024-01-02T03:04:05Z",)"
        R"("rootfs":{"type":"layers","diff_ids":[]},"config":{)"
        R"("User":"app:staff","ExposedPorts":{"8080/tcp":{},"53/udp":{}},)"
        R"("Env":["PATH=/bin","A=b=c"],"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],)"
        R"("Volumes":{"/var/lib/data":{},"/cache":{}},"WorkingDir":"/srv",)"
        R"("Labels":{"org.example.x":"1","y":""},"StopSignal":"SIGQUIT","ArgsEscaped":true,)"
        R"("Healthcheck":{"Test":["NONE"]},"OnBuild":null,"Shell":["/bin/sh"]}})");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("app:staff", r->user.c_str());
    CHECK(r->exposed_ports == (std::vector<std::string>{"53/udp", "8080/tcp"}));
    CHECK(r->env == (std::vector<std::string>{"PATH=/bin", "A=b=c"}));
    CHECK(r->entrypoint == (std::vector<std::string>{"/bin/sh", "-c"}));
    CHECK(r->cmd == (std::vector<std::string>{"echo hi"}));
    CHECK(r->volumes == (std::vector<std::string>{"/cache", "/var/lib/data"}));
    STRCMP_EQUAL("/srv", r->working_dir.c_str());
    LONGS_EQUAL(2, r->labels.size());
    STRCMP_EQUAL("1", r->labels.at("org.example.x").c_str());
    STRCMP_EQUAL("", r->labels.at("y").c_str());
    STRCMP_EQUAL("SIGQUIT", r->stop_signal.c_str());
    const auto& a = r->image_annotations;
    STRCMP_EQUAL("arm64", a.at("org.opencontainers.image.architecture").c_str());
    STRCMP_EQUAL("linux", a.at("org.opencontainers.image.os").c_str());
    STRCMP_EQUAL("v8", a.at("org.opencontainers.image.variant").c_str());
    STRCMP_EQUAL("6.1", a.at("org.opencontainers.image.os.version").c_str());
    STRCMP_EQUAL("a,b", a.at("org.opencontainers.image.os.features").c_str());
    STRCMP_EQUAL("me", a.at("org.opencontainers.image.author").c_str());
    STRCMP_EQUAL("2024-01-02T03:04:05Z", a.at("org.opencontainers.image.created").c_str());
}

TEST(RunConfig, AbsentOrNullConfigIsEmpty) {
    for (const char* doc :
         {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})",
          R"({"architecture":"amd64","os":"linux","config":null})", R"({"config":{}})"}) {
        auto r = parse_image_run_config(doc);
        CHECK_TEXT(r.ok(), doc);
        CHECK(r->user.empty() && r->env.empty() && r->entrypoint.empty() && r->cmd.empty());
        CHECK(r->exposed_ports.empty() && r->volumes.empty() && r->labels.empty());
        CHECK(r->working_dir.empty() && r->stop_signal.empty());
    }
}

TEST(RunConfig, NullFieldsAreEmpty) {
    auto r = parse_image_run_config(
        with_config(R"({"Env":null,"Entrypoint":null,"Cmd":null,"Volumes":null,)"
                    R"("ExposedPorts":null,"Labels":null,"User":null,"WorkingDir":null})"));
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    CHECK(r->env.empty() && r->entrypoint.empty() && r->cmd.empty() && r->volumes.empty());
    CHECK(r->exposed_ports.empty() && r->labels.empty() && r->user.empty());
}

TEST(RunConfig, WrongTypesNameTheField) {
    refused(R"("sh")", "config");
    refused(R"([])", "config");
    refused(R"({"Env":"PATH=/bin"})", "config.Env");
    refused(R"({"Env":["A=1",2]})", "config.Env");
    refused(R"({"Entrypoint":"/bin/sh"})", "config.Entrypoint");
    refused(R"({"Entrypoint":[null]})", "config.Entrypoint");
    refused(R"({"Cmd":{"0":"sh"}})", "config.Cmd");
    refused(R"({"Cmd":[["sh"]]})", "config.Cmd");
    refused(R"({"ExposedPorts":["80/tcp"]})", "config.ExposedPorts");
    refused(R"({"ExposedPorts":{"80/tcp":"yes"}})", "config.ExposedPorts");
    refused(R"({"Volumes":["/data"]})", "config.Volumes");
    refused(R"({"Volumes":{"/data":true}})", "config.Volumes");
    refused(R"({"Labels":{"a":1}})", "config.Labels");
    refused(R"({"Labels":["a"]})", "config.Labels");
    refused(R"({"User":0})", "config.User");
    refused(R"({"WorkingDir":["/"]})", "config.WorkingDir");
    refused(R"({"StopSignal":15})", "config.StopSignal");
    refused(R"({"Env":["NOEQUALS"]})", "config.Env");
    refused(R"({"Env":["=value"]})", "config.Env");
}

TEST(RunConfig, ExactMessageForEnv) {
    auto r = parse_image_run_config(with_config(R"({"Env":[1]})"));
    CHECK(!r.ok());
    STRCMP_EQUAL("image config field 'config.Env' is not an array of strings",
                 r.error().message.c_str());
}

TEST(RunConfig, TopLevelWrongTypes) {
    auto r = parse_image_run_config(R"({"os":"linux","created":5})");
    CHECK(!r.ok());
    CHECK(r.error().message.find("'created'") != std::string::npos);
    r = parse_image_run_config(R"({"os.features":"x"})");
    CHECK(!r.ok());
    r = parse_image_run_config(R"(["config"])");
    CHECK(!r.ok());
}

TEST(RunConfig, DuplicateKeysRefused) {
    auto r = parse_image_run_config(with_config(R"({"Cmd":["a"],"Cmd":["b"]})"));
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    r = parse_image_run_config(with_config(R"({"Labels":{"k":"1","k":"2"}})"));
    CHECK(!r.ok());
    r = parse_image_run_config(R"({"config":{},"config":{"Cmd":["sh"]}})");
    CHECK(!r.ok());
}

TEST(RunConfig, MalformedAndOversizedRefused) {
    CHECK(!parse_image_run_config("{").ok());
    CHECK(!parse_image_run_config(R"({"config":{"Cmd":["a\u0000b"]}})").ok());
    std::string big = with_config(R"({"Labels":{"x":")" + std::string(4u << 20, 'a') + "\"}}");
    auto r = parse_image_run_config(big);
    CHECK(!r.ok());
    LONGS_EQUAL(EFBIG, r.error().code);
}
