liboci_pod_la_SOURCES += \
	src/store/store.hpp
