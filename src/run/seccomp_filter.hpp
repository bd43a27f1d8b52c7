// linux.seccomp (config-linux.md "Seccomp") compiled with libseccomp. Compiling happens early in
// the pod's process (it allocates); loading is the very last step before execve (THREATS §2.6),
// after no_new_privs.
#pragma once

#include <memory>

#include "base/result.hpp"
#include "oci/runtime_spec.hpp"

namespace ocipod {

class SeccompFilter {
public:
    SeccompFilter();
    ~SeccompFilter();
    SeccompFilter(SeccompFilter&&) noexcept;
    SeccompFilter& operator=(SeccompFilter&&) noexcept;

    // seccomp_load. Flags from the spec (SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW) are
    // applied as libseccomp attributes when compiling.
    Status load();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    friend Result<SeccompFilter> compile_seccomp(const SpecSeccomp& spec);
};

// Default action, architectures (SCMP_ARCH_* plus the native one), each rule's syscall names
// (a name this libseccomp does not know is skipped, as runc and crun do; a name known but not on
// this architecture too), actions (SCMP_ACT_ERRNO with errnoRet, default EPERM), argument
// comparisons (SCMP_CMP_*; SCMP_CMP_MASKED_EQ uses value and valueTwo).
Result<SeccompFilter> compile_seccomp(const SpecSeccomp& spec);

}  // namespace ocipod
