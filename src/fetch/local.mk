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
