liboci_pod_la_SOURCES += \
	src/base/crash_point.cpp src/base/crash_point.hpp \
	src/store/blobs.cpp \
	src/store/ingest.cpp \
	src/store/layout.hpp \
	src/store/lock.cpp src/store/lock.hpp \
	src/store/refs.cpp \
	src/store/store.cpp src/store/store.hpp \
	src/store/verify.cpp
tests_unit_unit_tests_SOURCES += \
	tests/unit/store_blobs_test.cpp \
	tests/unit/store_crash_test.cpp \
	tests/unit/store_fixture.hpp \
	tests/unit/store_ingest_test.cpp \
	tests/unit/store_layout_test.cpp \
	tests/unit/store_refs_test.cpp \
	tests/unit/store_verify_test.cpp \
	tests/unit/temp_dir.hpp
