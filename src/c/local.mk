liboci_pod_la_SOURCES += \
	src/c/hash.cpp src/c/hash.hpp \
	src/c/json.cpp src/c/json.hpp
liboci_pod_la_SOURCES += src/c/curl.cpp src/c/curl.hpp
liboci_pod_la_SOURCES += src/c/archive.cpp src/c/archive.hpp
tests_unit_unit_tests_SOURCES += tests/unit/archive_test.cpp
