// pull_image (puller.hpp): parse the source, then hand over to the registry or local path. Every
// path ends in import_image (image_import.hpp), so all sources are verified the same way.
#include "fetch/puller.hpp"

#include "fetch/archive_source.hpp"
#include "fetch/oci_layout_source.hpp"
#include "fetch/registries_conf.hpp"
#include "fetch/registry_pull.hpp"
#include "fetch/source.hpp"

namespace ocipod {

Result<PullResult> pull_image(Store& store, std::string_view source, const PullOptions& options,
                              ProgressSink* progress) {
    std::string ctx = strf("pulling '%s'", printable(source).c_str());
    Source src = TRY_WRAP(parse_source(source), ctx);
    Platform wanted = options.platform ? normalize_platform(*options.platform) : host_platform();
    switch (src.kind) {
        case SourceKind::registry: {
            RegistriesConf conf = TRY_WRAP(RegistriesConf::load(), ctx);
            // Errors name the reference actually tried ("pulling 'quay.io/x:1': ...").
            return pull_from_registry(store, src.ref, conf, options, progress,
                                      default_endpoint_opener(options));
        }
        case SourceKind::oci_dir:
            return pull_oci_dir(store, src.path, src.local_ref, wanted, progress).wrap(ctx);
        case SourceKind::oci_archive:
            return pull_oci_archive(store, src.path, src.local_ref, wanted, progress).wrap(ctx);
        case SourceKind::docker_archive:
            return pull_docker_archive(store, src.path, src.local_ref, wanted, progress).wrap(ctx);
    }
    return make_error(EINVAL, "%s: unknown source kind", ctx.c_str());
}

}  // namespace ocipod
