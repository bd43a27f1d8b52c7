liboci_pod_la_SOURCES += \
	src/fetch/certs.hpp \
	src/fetch/credentials.hpp \
	src/fetch/endpoint.hpp \
	src/fetch/progress.hpp \
	src/fetch/puller.hpp \
	src/fetch/registries_conf.hpp \
	src/fetch/registry.hpp
liboci_pod_la_SOURCES += \
	src/fetch/config_files.cpp src/fetch/config_files.hpp \
	src/fetch/toml.cpp src/fetch/toml.hpp
tests_unit_unit_tests_SOURCES += tests/unit/toml_test.cpp
liboci_pod_la_SOURCES += \
	src/fetch/endpoint.cpp \
	src/fetch/registries_conf.cpp
tests_unit_unit_tests_SOURCES += tests/unit/conf_fixture.hpp tests/unit/registries_conf_test.cpp
liboci_pod_la_SOURCES += \
	src/fetch/credential_helper.cpp src/fetch/credential_helper.hpp \
	src/fetch/credentials.cpp
tests_unit_unit_tests_SOURCES += tests/unit/credentials_test.cpp
liboci_pod_la_SOURCES += src/fetch/certs.cpp
tests_unit_unit_tests_SOURCES += tests/unit/certs_test.cpp
liboci_pod_la_SOURCES += \
	src/fetch/api_request.cpp src/fetch/api_request.hpp \
	src/fetch/auth.cpp src/fetch/auth.hpp \
	src/fetch/blob_download.cpp src/fetch/blob_download.hpp \
	src/fetch/http_headers.cpp src/fetch/http_headers.hpp \
	src/fetch/redirect_policy.cpp src/fetch/redirect_policy.hpp \
	src/fetch/registry.cpp \
	src/fetch/registry_errors.cpp src/fetch/registry_errors.hpp \
	src/fetch/retry_policy.cpp src/fetch/retry_policy.hpp \
	src/fetch/transport.cpp src/fetch/transport.hpp \
	src/fetch/www_authenticate.cpp src/fetch/www_authenticate.hpp
liboci_pod_la_SOURCES += \
	src/fetch/archive_members.cpp src/fetch/archive_members.hpp \
	src/fetch/archive_source.cpp src/fetch/archive_source.hpp \
	src/fetch/docker_archive.cpp \
	src/fetch/image_import.cpp src/fetch/image_import.hpp \
	src/fetch/oci_layout_source.cpp src/fetch/oci_layout_source.hpp \
	src/fetch/puller.cpp \
	src/fetch/registry_pull.cpp src/fetch/registry_pull.hpp \
	src/fetch/source.cpp src/fetch/source.hpp
tests_unit_unit_tests_SOURCES += \
	tests/unit/http_headers_test.cpp \
	tests/unit/redirect_policy_test.cpp \
	tests/unit/token_response_test.cpp \
	tests/unit/www_authenticate_test.cpp
tests_unit_unit_tests_SOURCES += tests/unit/puller_test.cpp tests/unit/local_source_test.cpp \
	tests/unit/docker_archive_test.cpp tests/unit/image_fixture.hpp
# RegistryClient against tests/fixtures/fake_registry.py (policy knobs the CLI does not expose).
check_PROGRAMS += tests/integration/registry-client-tests
tests_integration_registry_client_tests_SOURCES = \
	tests/unit/main.cpp \
	tests/integration/registry_client_test.cpp
tests_integration_registry_client_tests_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR=\"$(abs_top_srcdir)\"
tests_integration_registry_client_tests_CXXFLAGS = $(AM_CXXFLAGS) $(CPPUTEST_CFLAGS)
tests_integration_registry_client_tests_LDADD = liboci-pod.la $(DEPS_LIBS) $(CPPUTEST_LIBS)
TESTS += tests/integration/registry-client-tests
