liboci_pod_la_SOURCES += \
	src/oci/descriptor.cpp src/oci/descriptor.hpp \
	src/oci/digest.cpp src/oci/digest.hpp \
	src/oci/image_config.cpp \
	src/oci/manifest.cpp src/oci/manifest.hpp \
	src/oci/media_types.cpp src/oci/media_types.hpp \
	src/oci/platform.cpp src/oci/platform.hpp \
	src/oci/reference.cpp src/oci/reference.hpp
tests_unit_unit_tests_SOURCES += \
	tests/unit/digest_test.cpp \
	tests/unit/image_config_test.cpp \
	tests/unit/manifest_test.cpp \
	tests/unit/platform_test.cpp \
	tests/unit/reference_test.cpp
