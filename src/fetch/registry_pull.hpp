// Pulling from registries: which names to try, which endpoints serve them, and which credentials
// each endpoint may see.
//
//   - A short name ("alpine") is tried on each of registries.conf's unqualified-search-registries
//     in order, or on docker.io when none is configured (docker's behaviour). A registry that
//     answers "no such manifest" (ENOENT) moves on to the next; any other error stops the search.
//   - For one name, endpoints_for() gives the mirrors, then the registry's own location. The first
//     endpoint that serves the (top) manifest is used for everything after it; when a blob or
//     child-manifest fetch fails on a mirror, the rest comes from the next endpoint. Digests are
//     verified whichever endpoint served the bytes.
//   - Credentials go only where they belong (DESIGN.md §5.6): the registry's location gets the
//     reference's own credentials (and --creds); a mirror or a rewritten location on another host
//     gets only what the auth files hold for that host and its repository path.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "fetch/endpoint.hpp"
#include "fetch/image_import.hpp"
#include "fetch/puller.hpp"
#include "fetch/registries_conf.hpp"
#include "oci/reference.hpp"
#include "store/store.hpp"

namespace ocipod {

// Opens the source for one endpoint of ref. Tests substitute a fake; the default builds a
// RegistryClient with the endpoint's credentials and TLS files.
using EndpointOpener =
    std::function<Result<std::unique_ptr<ImageSource>>(const Reference& ref, const Endpoint& ep)>;

EndpointOpener default_endpoint_opener(const PullOptions& options);

struct CredentialScope {
    std::string registry;  // the key for CredentialStore::lookup
    std::string repository;
    bool own_registry = false;  // the reference's own registry host: --creds may apply
};
CredentialScope credential_scope(const Reference& ref, const Endpoint& ep);

// The names to try, in order.
std::vector<Reference> search_candidates(const Reference& ref,
                                         const std::vector<std::string>& search_registries);

Result<PullResult> pull_from_registry(Store& store, const Reference& ref,
                                      const RegistriesConf& conf, const PullOptions& options,
                                      ProgressSink* progress, const EndpointOpener& open);

}  // namespace ocipod
