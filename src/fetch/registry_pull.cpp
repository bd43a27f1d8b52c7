#include "fetch/registry_pull.hpp"

#include <optional>

#include "fetch/certs.hpp"
#include "fetch/credentials.hpp"
#include "fetch/registry.hpp"

namespace ocipod {

namespace {

class RegistryImageSource : public ImageSource {
public:
    RegistryImageSource(const Endpoint& ep, std::optional<Credentials> creds, TlsFiles tls,
                        const FetchPolicy& policy)
        : client_(ep, std::move(creds), std::move(tls), policy) {}

    Result<FetchedManifest> get_manifest(std::string_view tag_or_digest,
                                         const std::optional<Digest>& expected) override {
        return client_.get_manifest(tag_or_digest, expected);
    }
    Status fetch_blobs(const std::vector<Descriptor>& blobs, Store& store,
                       ProgressSink* progress) override {
        return client_.fetch_blobs(blobs, store, progress);
    }

private:
    RegistryClient client_;
};

// Mirrors, then the location, as one source (see the header for the fallback rules).
class EndpointChain : public ImageSource {
public:
    EndpointChain(Reference ref, std::vector<Endpoint> endpoints, const EndpointOpener& open)
        : ref_(std::move(ref)),
          endpoints_(std::move(endpoints)),
          open_(open),
          sources_(endpoints_.size()) {}

    Result<FetchedManifest> get_manifest(std::string_view tag_or_digest,
                                         const std::optional<Digest>& expected) override {
        std::optional<Error> last;
        for (size_t i = current_; i < endpoints_.size(); ++i) {
            auto src = source(i);
            if (!src) {
                last = std::move(src).error();
                continue;
            }
            auto m = (*src)->get_manifest(tag_or_digest, expected);
            if (m) {
                current_ = i;
                return m;
            }
            last = std::move(m).error();
        }
        if (!last) return make_error(ENOENT, "no endpoint serves '%s'", ref_.str().c_str());
        return std::move(*last);
    }

    Status fetch_blobs(const std::vector<Descriptor>& blobs, Store& store,
                       ProgressSink* progress) override {
        for (size_t i = current_; i < endpoints_.size(); ++i) {
            bool last = i + 1 == endpoints_.size();
            auto src = source(i);
            Status st = src ? (*src)->fetch_blobs(blobs, store, progress) : Status(src.error());
            if (st) return st;
            if (!endpoints_[i].mirror || last) return st;
            current_ = i + 1;  // a failing mirror is not asked again for this image
        }
        return make_error(ENOENT, "no endpoint serves '%s'", ref_.str().c_str());
    }

private:
    Result<ImageSource*> source(size_t i) {
        if (!sources_[i]) sources_[i] = TRY(open_(ref_, endpoints_[i]));
        return sources_[i].get();
    }

    Reference ref_;
    std::vector<Endpoint> endpoints_;
    const EndpointOpener& open_;
    std::vector<std::unique_ptr<ImageSource>> sources_;
    size_t current_ = 0;
};

}  // namespace

CredentialScope credential_scope(const Reference& ref, const Endpoint& ep) {
    CredentialScope s;
    s.own_registry = ep.host == registry_api_host(ref.registry);
    s.registry = s.own_registry ? ref.registry : ep.host;
    s.repository = ep.repository;
    return s;
}

EndpointOpener default_endpoint_opener(const PullOptions& options) {
    auto with_cli =
        std::make_shared<CredentialStore>(CredentialStore::from_environment(options.credentials));
    auto without_cli = std::make_shared<CredentialStore>(CredentialStore::from_environment());
    FetchPolicy policy = options.policy;
    return [with_cli, without_cli, policy](
               const Reference& ref, const Endpoint& ep) -> Result<std::unique_ptr<ImageSource>> {
        CredentialScope scope = credential_scope(ref, ep);
        const CredentialStore& creds = scope.own_registry ? *with_cli : *without_cli;
        std::optional<Credentials> c = TRY(creds.lookup(scope.registry, scope.repository));
        TlsFiles tls = TRY(tls_files_for(ep.host));
        return std::unique_ptr<ImageSource>(
            std::make_unique<RegistryImageSource>(ep, std::move(c), std::move(tls), policy));
    };
}

std::vector<Reference> search_candidates(const Reference& ref,
                                         const std::vector<std::string>& search_registries) {
    if (!ref.short_name) return {ref};
    std::vector<Reference> out;
    for (const std::string& r : search_registries) out.push_back(with_registry(ref, r));
    if (out.empty()) out.push_back(with_registry(ref, default_registry));
    for (Reference& r : out) r.short_name = false;
    return out;
}

Result<PullResult> pull_from_registry(Store& store, const Reference& ref,
                                      const RegistriesConf& conf, const PullOptions& options,
                                      ProgressSink* progress, const EndpointOpener& open) {
    std::vector<Reference> candidates =
        search_candidates(ref, conf.unqualified_search_registries());
    Platform wanted = options.platform ? normalize_platform(*options.platform) : host_platform();
    std::string tried;
    std::optional<Error> last;
    for (const Reference& cand : candidates) {
        std::string ctx = strf("pulling '%s'", cand.str().c_str());
        std::vector<Endpoint> endpoints =
            TRY_WRAP(conf.endpoints_for(cand, options.tls_verify), ctx);
        EndpointChain chain(cand, std::move(endpoints), open);
        auto top = chain.get_manifest(cand.tag_or_digest(), cand.digest);
        if (!top) {
            if (top.error().code != ENOENT || candidates.size() == 1)
                return std::move(top).error().wrap(ctx);
            tried += (tried.empty() ? "" : ", ") + cand.registry;
            last = std::move(top).error().wrap(strf("'%s'", cand.str().c_str()));
            continue;
        }
        if (cand.digest && top->digest != *cand.digest)
            return make_error(EBADMSG, "%s: the registry sent manifest %s, refusing", ctx.c_str(),
                              top->digest.str().c_str());
        return import_image(chain, store, *top, "", ImportRequest{wanted, cand.str()}, progress)
            .wrap(ctx);
    }
    std::string_view shown = ref.repository;
    if (starts_with(shown, "library/")) shown.remove_prefix(8);
    return make_error(
        ENOENT, "pulling '%s%s%s': not found on any of the search registries (%s); last: %s",
        printable(shown).c_str(), ref.digest ? "@" : ":", printable(ref.tag_or_digest()).c_str(),
        tried.c_str(), last ? last->message.c_str() : "");
}

}  // namespace ocipod
