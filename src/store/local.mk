liboci_pod_la_SOURCES += \
	src/base/crash_point.cpp src/base/crash_point.hpp \
	src/store/blobs.cpp \
	src/store/ingest.cpp \
	src/store/layout.hpp \
	src/store/lock.cpp src/store/lock.hpp \
	src/store/refs.cpp \
	src/store/store.cpp src/store/store.hpp \
	src/store/verify.cpp
