// oci-pod images / inspect / rmi: read (and for rmi, edit) the refs of an existing store. None of
// them creates a store: with no store there are no images.
#include <time.h>

#include <algorithm>
#include <cstdio>

#include "base/log.hpp"
#include "c/json.hpp"
#include "cli/commands.hpp"
#include "cli/local_image.hpp"
#include "cli/table.hpp"
#include "cli/time_text.hpp"
#include "oci/reference.hpp"

namespace ocipod {

namespace {

// The store, or nullopt when there is none yet (not an error for reading commands); logs others.
Result<std::optional<Store>> open_existing(const std::string& root) {
    auto store = Store::open(root, false);
    if (store) return std::optional<Store>(store.take());
    if (store.error().code == ENOENT) return std::optional<Store>();
    return std::move(store).error();
}

struct Row {
    RefEntry ref;
    std::optional<LocalImage> image;  // nullopt when it could not be read (warned)
};

void json_set(json_t* obj, const char* key, json_t* value) {
    json_object_set_new(obj, key, value ? value : json_null());
}

std::string images_json(const std::vector<Row>& rows) {
    JsonPtr arr(json_array());
    for (const Row& r : rows) {
        json_t* o = json_object();
        json_set(o, "name", json_string(r.ref.name.c_str()));
        json_set(o, "digest", json_string(r.ref.target.digest.str().c_str()));
        json_set(o, "mediaType", json_string(r.ref.target.media_type.c_str()));
        json_set(o, "type", json_string(manifest_kind(r.ref.target.media_type)));
        if (r.image && !r.image->created.empty())
            json_set(o, "created", json_string(r.image->created.c_str()));
        else
            json_set(o, "created", nullptr);
        json_set(o, "size", r.image ? json_integer(r.image->size) : nullptr);
        json_array_append_new(arr.get(), o);
    }
    return json_dump(arr.get(), true) + "\n";
}

std::string images_table(const std::vector<Row>& rows, bool no_trunc) {
    Table table({"REPOSITORY", "TAG", "DIGEST", "TYPE", "CREATED", "SIZE"});
    const int64_t now = time(nullptr);
    for (const Row& r : rows) {
        std::string repository = r.ref.name, tag = "<none>";
        if (auto parsed = parse_reference(r.ref.name)) {
            repository = parsed->name();
            if (!parsed->tag.empty()) tag = parsed->tag;
        }
        const Digest& d = r.ref.target.digest;
        std::string created = "<unknown>", size = "<unknown>";
        if (r.image) {
            if (auto t = parse_rfc3339(r.image->created)) created = relative_time(*t, now);
            size = human_size(static_cast<uint64_t>(r.image->size));
        }
        table.add_row({repository, tag, no_trunc ? d.str() : d.short_hex(),
                       manifest_kind(r.ref.target.media_type), created, size});
    }
    return table.render();
}

Error not_found(const std::string& text) {
    return make_error(ENOENT, "image '%s' not found in the store", printable(text).c_str());
}

}  // namespace

int cmd_images(const GlobalOptions& global, const ImagesArgs& args) {
    auto store = open_existing(global.root);
    if (!store) {
        log_error("%s", store.error().message.c_str());
        return exit_failure;
    }
    std::vector<Row> rows;
    if (*store) {
        auto refs = (*store)->list_refs();
        if (!refs) {
            log_error("%s", refs.error().message.c_str());
            return exit_failure;
        }
        for (RefEntry& e : refs.take()) {
            auto image = load_local_image(**store, e);
            if (!image)
                log_warning("image '%s': %s", e.name.c_str(), image.error().message.c_str());
            rows.push_back({std::move(e), image ? std::optional(image.take()) : std::nullopt});
        }
    }
    std::sort(rows.begin(), rows.end(),
              [](const Row& a, const Row& b) { return a.ref.name < b.ref.name; });
    std::string out = args.json ? images_json(rows) : images_table(rows, args.no_trunc);
    fputs(out.c_str(), stdout);
    return 0;
}

int cmd_inspect(const GlobalOptions& global, const InspectArgs& args) {
    auto run = [&]() -> Result<std::string> {
        auto store = TRY(open_existing(global.root));
        if (!store) return not_found(args.ref);
        auto ref = TRY(resolve_local_ref(*store, args.ref));
        if (!ref) return not_found(args.ref);
        LocalImage img =
            TRY_WRAP(load_local_image(*store, *ref), strf("image '%s'", ref->name.c_str()));

        JsonPtr out(json_object());
        json_set(out.get(), "Name", json_string(img.ref.name.c_str()));
        json_set(out.get(), "Digest", json_string(img.ref.target.digest.str().c_str()));
        if (args.format != InspectFormat::config) {
            if (img.chosen) {
                JsonPtr index = TRY(json_parse(img.target_bytes, "image index"));
                json_object_set(out.get(), "Index", index.get());
            }
            JsonPtr manifest = TRY(json_parse(img.manifest_bytes, "image manifest"));
            json_object_set(out.get(), "Manifest", manifest.get());
        }
        if (args.format != InspectFormat::manifest) {
            JsonPtr config = TRY(json_parse(img.config_bytes, "image config"));
            json_object_set(out.get(), "Config", config.get());
        }
        return json_dump(out.get(), true) + "\n";
    };
    auto text = run();
    if (!text) {
        log_error("%s", text.error().message.c_str());
        return exit_failure;
    }
    fputs(text->c_str(), stdout);
    return 0;
}

int cmd_rmi(const GlobalOptions& global, const RmiArgs& args) {
    auto store = open_existing(global.root);
    if (!store) {
        log_error("%s", store.error().message.c_str());
        return exit_failure;
    }
    int status = 0;
    for (const std::string& text : args.refs) {
        auto untag = [&]() -> Result<std::string> {
            if (!*store) return not_found(text);
            auto ref = TRY(resolve_local_ref(**store, text));
            if (!ref) return not_found(text);
            // false: removed by someone else since it was resolved — still not there.
            if (!TRY((*store)->remove_ref(ref->name))) return not_found(text);
            return ref->name;
        };
        auto name = untag();
        if (!name) {
            log_error("%s", name.error().message.c_str());
            status = exit_failure;
            continue;
        }
        printf("Untagged: %s\n", name->c_str());
    }
    return status;
}

}  // namespace ocipod
