# Integration tests (TAP shell scripts) are listed here.

# TAP scripts run through automake's tap-driver; each gets the built binaries and the
# (absolute) source tree. tests/run-tests counts their test points.
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_COMPILER = bash
AM_TESTS_ENVIRONMENT = \
	OCI_POD=$(abs_top_builddir)/oci-pod; \
	OCI_POD_FETCH=$(abs_top_builddir)/oci-pod-fetch; \
	srcdir=$(abs_top_srcdir); \
	export OCI_POD OCI_POD_FETCH srcdir;

# Registry integration tests (docker-registry, skopeo, umoci; see tests/README.md).
TESTS += \
	tests/integration/pull_registry.sh \
	tests/integration/pull_auth.sh \
	tests/integration/interop.sh \
	tests/integration/bad_input.sh \
	tests/integration/local_sources.sh
EXTRA_DIST += \
	tests/integration/pull_registry.sh \
	tests/integration/pull_auth.sh \
	tests/integration/interop.sh \
	tests/integration/bad_input.sh \
	tests/integration/local_sources.sh \
	tests/lib/tap.sh \
	tests/lib/registry.sh \
	tests/lib/images.sh \
	tests/fixtures/make_layout.py \
	tests/fixtures/token_server.py \
	tests/run-tests \
	tests/README.md \
	demo.sh \
	.ci/run
# Registry faults against the fake registry (THREATS.md 3.2).
TESTS += tests/integration/fetch_faults.sh
EXTRA_DIST += tests/integration/fetch_faults.sh tests/fixtures/fake_registry.py
